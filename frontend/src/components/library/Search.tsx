'use client';
/** Search the library: a query with filters; passages with their source and the matched words marked. */
import { Fragment, useMemo, useState, type FormEvent } from 'react';
import { useApp } from '@/lib/app-context';
import { LibraryApi, SEARCH_KINDS, snippetParts, type SearchResponse, type SearchResult } from '@/lib/library';
import { searchModeNotice } from '@/lib/library-words';
import type { MessageKey } from '@/lib/messages';
import { Alert, describedBy, Field, useFocusLater } from '../ui';
import { useDescribeLibraryError, useLanguageOptions } from './format';

const RESULT_LIMIT = 20;

/** A search source's kind in words: an entry kind, or a document's category. */
export function useKindLabel(): (kind: string) => string {
  const { t } = useApp();
  return (kind) => {
    if (['company', 'service', 'person', 'case_study', 'role', 'document'].includes(kind)) return t(`library.kind.${kind}` as MessageKey);
    if (['past_proposal', 'rfp_answer', 'methodology', 'cv', 'other'].includes(kind)) return t(`library.docs.category.${kind}` as MessageKey);
    return kind;
  };
}

export function SearchTab() {
  const { api, t } = useApp();
  const describe = useDescribeLibraryError();
  const library = useMemo(() => new LibraryApi(api), [api]);
  const languages = useLanguageOptions();
  const kindLabel = useKindLabel();
  const focusLater = useFocusLater();
  const [values, setValues] = useState({ q: '', kind: '', industry: '', technology: '', language: '' });
  const [queryError, setQueryError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [response, setResponse] = useState<SearchResponse | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (name: keyof typeof values, value: string) => setValues((current) => ({ ...current, [name]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (!values.q.trim()) {
      setQueryError(t('library.search.required'));
      document.getElementById('library-search-q')?.focus();
      return;
    }
    setQueryError(null);
    setBusy(true);
    try {
      setResponse(await library.search({ ...values, q: values.q.trim(), industry: values.industry.trim(), technology: values.technology.trim(), limit: RESULT_LIMIT }));
      focusLater('library-search-results-title');
    } catch (caught) {
      setResponse(null);
      setError(describe(caught));
    } finally {
      setBusy(false);
    }
  }

  const notice = response ? searchModeNotice(response, t) : null;

  return (
    <div className="stack">
      <form className="card library-search" role="search" onSubmit={submit} noValidate aria-label={t('library.tab.search')}>
        <Field id="library-search-q" label={t('library.search.query')} error={queryError ?? undefined}>
          <input id="library-search-q" type="search" value={values.q} onChange={(event) => set('q', event.target.value)} aria-invalid={queryError ? true : undefined} aria-describedby={describedBy('library-search-q', false, queryError ?? undefined)} />
        </Field>
        <div className="grid-4">
          <Field id="library-search-kind" label={t('library.search.kind')}>
            <select id="library-search-kind" value={values.kind} onChange={(event) => set('kind', event.target.value)}>
              <option value="">{t('library.search.any')}</option>
              {SEARCH_KINDS.map((kind) => (
                <option key={kind} value={kind}>
                  {kindLabel(kind)}
                </option>
              ))}
            </select>
          </Field>
          <Field id="library-search-industry" label={t('library.search.industry')} optional>
            <input id="library-search-industry" value={values.industry} onChange={(event) => set('industry', event.target.value)} />
          </Field>
          <Field id="library-search-technology" label={t('library.search.technology')} optional>
            <input id="library-search-technology" value={values.technology} onChange={(event) => set('technology', event.target.value)} />
          </Field>
          <Field id="library-search-language" label={t('library.search.language')}>
            <select id="library-search-language" value={values.language} onChange={(event) => set('language', event.target.value)}>
              <option value="">{t('library.search.any')}</option>
              {languages.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <button type="submit" disabled={busy}>
          {busy ? t('library.search.searching') : t('library.search.submit')}
        </button>
      </form>
      {error && <Alert>{error}</Alert>}
      {response && (
        <section aria-labelledby="library-search-results-title" className="search-results">
          <h2 id="library-search-results-title" tabIndex={-1}>
            {t('library.search.results')}
          </h2>
          {notice && (
            <Alert kind="warning" title={notice}>
              {t('library.search.fullTextHelp')}
            </Alert>
          )}
          <p className="muted" role="status">
            {response.results.length === 0 ? t('library.search.none') : response.results.length === 1 ? t('library.search.count.one') : t('library.search.count.other', { count: response.results.length })}
          </p>
          <ol className="search-result-list">
            {response.results.map((result) => (
              <SearchResultItem key={result.passage_id} result={result} kindLabel={kindLabel} />
            ))}
          </ol>
        </section>
      )}
    </div>
  );
}

export function SearchResultItem({ result, kindLabel }: { result: SearchResult; kindLabel: (kind: string) => string }) {
  const { t } = useApp();
  const { source } = result;
  return (
    <li className="card search-result" data-passage={result.passage_id}>
      <h3>{source.title}</h3>
      <p className="search-meta small">
        <span className="badge badge-info">{kindLabel(source.kind)}</span>
        {source.heading_path.length > 0 && <span className="heading-path">{source.heading_path.join(' › ')}</span>}
        {source.page !== null && source.page !== undefined && <span>{t('library.search.page', { page: source.page })}</span>}
      </p>
      <Snippet text={result.snippet} highlights={result.highlights} />
    </li>
  );
}

/** The snippet as text and <mark> elements: React escapes every piece, so a snippet can never inject markup. */
export function Snippet({ text, highlights }: { text: string; highlights: SearchResult['highlights'] }) {
  return (
    <p className="snippet">
      {snippetParts(text, highlights).map((part, index) => (part.marked ? <mark key={index}>{part.text}</mark> : <Fragment key={index}>{part.text}</Fragment>))}
    </p>
  );
}
