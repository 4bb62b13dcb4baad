'use client';
/** The company profile, one per content language: description, positioning, certifications, partnerships, terms. */
import { useEffect, useMemo, useState } from 'react';
import { ApiError } from '@/lib/api';
import { principalName, useApp } from '@/lib/app-context';
import { LIBRARY_LANGUAGES, LibraryApi, type CompanyProfile, type CompanyProfileInput, type LibraryLanguage } from '@/lib/library';
import { useDescribeLibraryError } from './format';
import { Alert, Loading, useFocusLater } from '../ui';
import { EntryForm, toFormValues, type FieldSpec } from './EntryForm';

const FIELDS: FieldSpec[] = [
  { name: 'description', type: 'textarea' },
  { name: 'positioning', type: 'textarea' },
  { name: 'certifications', type: 'list', row: 'lists' },
  { name: 'partnerships', type: 'list', row: 'lists' },
  { name: 'standard_terms', type: 'textarea' },
  { name: 'owner', type: 'text', nullable: true, row: 'review' },
  { name: 'review_by', type: 'date', row: 'review' },
];

type Loaded = { profile: CompanyProfile | null } | { error: string };

export function CompanyTab() {
  const { api, t, locale, principal } = useApp();
  const describe = useDescribeLibraryError();
  const library = useMemo(() => new LibraryApi(api), [api]);
  const focusLater = useFocusLater();
  // The interface's language until another is chosen.
  const [chosen, setLanguage] = useState<LibraryLanguage | null>(null);
  const language = chosen ?? locale;
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    let current = true;
    setLoaded(null);
    setSaved(false);
    library.getCompany(language).then(
      (profile) => current && setLoaded({ profile }),
      (caught: unknown) => {
        if (!current) return;
        // No profile in this language yet: an empty form creates it.
        if (caught instanceof ApiError && caught.kind === 'not_found') setLoaded({ profile: null });
        else setLoaded({ error: describe(caught) });
      },
    );
    return () => {
      current = false;
    };
  }, [library, language, attempt, describe]);

  const blank: CompanyProfileInput = {
    description: '',
    positioning: '',
    certifications: [],
    partnerships: [],
    standard_terms: '',
    owner: principal ? principalName(principal) : '',
    review_by: null,
  };
  const languageName = t(`library.languageName.${language}`);
  const fields = FIELDS.map((field) => (field.name === 'owner' ? { ...field, hint: t('library.ownerHint') } : field));

  return (
    <div className="stack">
      <div className="field inline-field">
        <label htmlFor="library-company-language">{t('library.company.language')}</label>
        <select id="library-company-language" value={language} onChange={(event) => setLanguage(event.target.value as LibraryLanguage)}>
          {LIBRARY_LANGUAGES.map((value) => (
            <option key={value} value={value}>
              {t(`library.languageName.${value}`)}
            </option>
          ))}
        </select>
      </div>
      {saved && (
        <Alert kind="success" id="library-company-saved" focusable>
          {t('library.saved', { name: t('library.company.heading', { language: languageName }) })}
        </Alert>
      )}
      {loaded === null ? (
        <Loading />
      ) : 'error' in loaded ? (
        <Alert
          action={
            <button type="button" onClick={() => setAttempt((n) => n + 1)}>
              {t('common.retry')}
            </button>
          }
        >
          {loaded.error}
        </Alert>
      ) : (
        <EntryForm
          key={`${language}-${loaded.profile?.updated_at ?? 'new'}`}
          idPrefix="library-company"
          title={t('library.company.heading', { language: languageName })}
          fields={fields}
          initial={toFormValues({ ...blank, ...(loaded.profile ?? {}) }, fields)}
          onSubmit={async (input) => {
            const profile = await library.saveCompany(language, input as CompanyProfileInput);
            setLoaded({ profile });
            setSaved(true);
            focusLater('library-company-saved');
          }}
        >
          {!loaded.profile && <p className="muted">{t('library.company.none')}</p>}
        </EntryForm>
      )}
    </div>
  );
}
