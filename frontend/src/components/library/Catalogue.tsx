'use client';
/** The services the consultancy offers and its case studies: lists with their forms. */
import { principalName, useApp } from '@/lib/app-context';
import type { CaseStudy, CaseStudyInput, LibraryLanguage, Service, ServiceInput } from '@/lib/library';
import { EntryCollection } from './EntryCollection';
import type { FieldSpec } from './EntryForm';
import { useLanguageOptions } from './format';

export interface EditRequest {
  editId: string | null;
  onEditHandled: () => void;
}

export function ServicesTab({ editId, onEditHandled }: EditRequest) {
  const { t, locale, principal } = useApp();
  const languages = useLanguageOptions();
  const fields: FieldSpec[] = [
    { name: 'name', type: 'text', required: true, row: 'name' },
    { name: 'language', type: 'select', options: languages, row: 'name' },
    { name: 'description', type: 'textarea' },
    { name: 'deliverables', type: 'list' },
    { name: 'typical_duration_weeks', type: 'number' },
    { name: 'industries', type: 'list', row: 'tags' },
    { name: 'technologies', type: 'list', row: 'tags' },
    { name: 'owner', type: 'text', nullable: true, hint: t('library.ownerHint'), row: 'review' },
    { name: 'review_by', type: 'date', row: 'review' },
  ];
  const blank = (): ServiceInput => ({
    name: '',
    description: '',
    deliverables: [],
    typical_duration_weeks: null,
    industries: [],
    technologies: [],
    language: locale as LibraryLanguage,
    owner: principal ? principalName(principal) : '',
    review_by: null,
  });
  return (
    <EntryCollection
      collection="services"
      fields={fields}
      blank={blank}
      titleOf={(item: Service) => item.name}
      columns={[
        { header: t('library.field.name'), cell: (item: Service) => item.name },
        { header: t('library.field.industries'), cell: (item: Service) => item.industries.join(', ') },
        { header: t('library.field.language'), cell: (item: Service) => t(`library.languageName.${item.language}`) },
        { header: t('library.field.owner'), cell: (item: Service) => item.owner },
      ]}
      editId={editId}
      onEditHandled={onEditHandled}
    />
  );
}

export function CaseStudiesTab({ editId, onEditHandled }: EditRequest) {
  const { t, locale, principal } = useApp();
  const languages = useLanguageOptions();
  const fields: FieldSpec[] = [
    { name: 'client', type: 'text', row: 'client' },
    { name: 'industry', type: 'text', required: true, row: 'client' },
    { name: 'anonymised', type: 'checkbox' },
    { name: 'may_be_named', type: 'checkbox' },
    { name: 'problem', type: 'textarea' },
    { name: 'solution', type: 'textarea' },
    { name: 'results', type: 'textarea' },
    { name: 'year', type: 'number', row: 'year' },
    { name: 'language', type: 'select', options: languages, row: 'year' },
    { name: 'technologies', type: 'list' },
    { name: 'owner', type: 'text', nullable: true, hint: t('library.ownerHint'), row: 'review' },
    { name: 'review_by', type: 'date', row: 'review' },
  ];
  const blank = (): CaseStudyInput => ({
    client: '',
    anonymised: false,
    may_be_named: false,
    industry: '',
    problem: '',
    solution: '',
    results: '',
    year: null,
    technologies: [],
    language: locale as LibraryLanguage,
    owner: principal ? principalName(principal) : '',
    review_by: null,
  });
  return (
    <EntryCollection
      collection="case-studies"
      fields={fields}
      blank={blank}
      titleOf={(item: CaseStudy) => item.title}
      columns={[
        // The gateway's title: the client's name only when it may be named, else "cliente anonimizado".
        { header: t('library.field.title'), cell: (item: CaseStudy) => item.title },
        { header: t('library.field.industry'), cell: (item: CaseStudy) => item.industry },
        { header: t('library.field.year'), cell: (item: CaseStudy) => item.year ?? '—' },
        { header: t('library.field.language'), cell: (item: CaseStudy) => t(`library.languageName.${item.language}`) },
      ]}
      editId={editId}
      onEditHandled={onEditHandled}
    />
  );
}
