'use client';
/** People: who the consultancy may put forward, with their rate-card role; deleting one removes them from search at once. */
import { useEffect, useMemo, useState } from 'react';
import { principalName, useApp } from '@/lib/app-context';
import { LibraryApi, SENIORITIES, type LibraryLanguage, type Person, type PersonInput, type Role } from '@/lib/library';
import type { EditRequest } from './Catalogue';
import { EntryCollection } from './EntryCollection';
import type { FieldSpec } from './EntryForm';
import { useLanguageOptions } from './format';

type ActiveFilter = 'active' | 'inactive' | 'all';

export function PeopleTab({ editId, onEditHandled }: EditRequest) {
  const { api, t, locale, principal } = useApp();
  const library = useMemo(() => new LibraryApi(api), [api]);
  const languages = useLanguageOptions();
  const [roles, setRoles] = useState<Role[]>([]);
  const [show, setShow] = useState<ActiveFilter>('active');

  useEffect(() => {
    // The role choices; without them the form still works (no role).
    library.list('roles', { limit: 200 }).then(
      (page) => setRoles(page.items),
      () => undefined,
    );
  }, [library]);

  const fields: FieldSpec[] = [
    { name: 'name', type: 'text', required: true, row: 'name' },
    { name: 'role_id', type: 'select', options: [{ value: '', label: t('library.noRole') }, ...roles.map((role) => ({ value: role.id, label: role.name }))], row: 'name' },
    { name: 'seniority', type: 'select', options: [{ value: '', label: t('library.seniority.none') }, ...SENIORITIES.map((value) => ({ value, label: t(`library.seniority.${value}`) }))], row: 'seniority' },
    { name: 'language', type: 'select', options: languages, row: 'seniority' },
    { name: 'bio', type: 'textarea' },
    { name: 'skills', type: 'list', row: 'skills' },
    { name: 'certifications', type: 'list', row: 'skills' },
    { name: 'languages', type: 'list' },
    { name: 'active', type: 'checkbox' },
    { name: 'owner', type: 'text', nullable: true, hint: t('library.ownerHint'), row: 'review' },
    { name: 'review_by', type: 'date', row: 'review' },
  ];
  const blank = (): PersonInput => ({
    name: '',
    role_id: null,
    seniority: null,
    bio: '',
    skills: [],
    certifications: [],
    languages: [],
    active: true,
    language: locale as LibraryLanguage,
    owner: principal ? principalName(principal) : '',
    review_by: null,
  });

  const toolbar = (
    <div className="field inline-field">
      <label htmlFor="library-people-show">{t('library.people.show')}</label>
      <select id="library-people-show" value={show} onChange={(event) => setShow(event.target.value as ActiveFilter)}>
        <option value="active">{t('library.people.onlyActive')}</option>
        <option value="inactive">{t('library.people.onlyInactive')}</option>
        <option value="all">{t('library.people.everyone')}</option>
      </select>
    </div>
  );

  return (
    <EntryCollection
      collection="people"
      fields={fields}
      blank={blank}
      titleOf={(item: Person) => item.name}
      toolbar={toolbar}
      // The gateway filters (GET /api/library/people?active=true|false), so every page holds only whom is asked for.
      filters={show === 'all' ? {} : { active: show === 'active' }}
      emptyFilteredKey="library.people.noneFiltered"
      confirmDeleteKey="library.confirmDeletePerson"
      columns={[
        { header: t('library.field.name'), cell: (item: Person) => item.name },
        { header: t('library.field.role_id'), cell: (item: Person) => item.role_name ?? t('library.noRole') },
        { header: t('library.field.seniority'), cell: (item: Person) => (item.seniority ? t(`library.seniority.${item.seniority}`) : '—') },
        {
          header: t('library.people.status'),
          cell: (item: Person) => (
            <span className={`badge ${item.active ? 'badge-ready' : 'badge-queued'}`}>{item.active ? t('library.people.active') : t('library.people.inactive')}</span>
          ),
        },
      ]}
      editId={editId}
      onEditHandled={onEditHandled}
    />
  );
}
