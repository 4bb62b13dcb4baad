'use client';
/** Entries, roles and documents whose review date has passed, oldest first, each with a link to edit it. */
import { useEffect, useMemo, useState } from 'react';
import { useApp } from '@/lib/app-context';
import { LibraryApi, type StaleEntry, type StaleKind } from '@/lib/library';
import { Alert, Loading } from '../ui';
import { useDescribeLibraryError, useFormatDay } from './format';
import { useKindLabel } from './Search';

/** The tab that edits each kind of stale entry. */
export const TAB_OF_KIND: Record<StaleKind, LibraryTab> = {
  company: 'company',
  service: 'services',
  person: 'people',
  case_study: 'case-studies',
  role: 'rates',
  document: 'documents',
};

export const LIBRARY_TABS = ['company', 'services', 'rates', 'people', 'case-studies', 'documents', 'search', 'stale'] as const;
export type LibraryTab = (typeof LIBRARY_TABS)[number];

/** The address of a stale entry's edit form (the Library page reads `tab` and `edit`). */
export function editHref(entry: Pick<StaleEntry, 'kind' | 'id'>): string {
  const tab = TAB_OF_KIND[entry.kind] ?? 'stale';
  const editable = tab !== 'company' && tab !== 'documents';
  return `/library?tab=${tab}${editable ? `&edit=${encodeURIComponent(entry.id)}` : ''}`;
}

export function StaleTab({ onEdit }: { onEdit: (tab: LibraryTab, id: string | null) => void }) {
  const { api, t } = useApp();
  const describe = useDescribeLibraryError();
  const library = useMemo(() => new LibraryApi(api), [api]);
  const formatDay = useFormatDay();
  const kindLabel = useKindLabel();
  const [items, setItems] = useState<StaleEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    library.stale().then(
      (result) => {
        if (current) setItems(result.items);
      },
      (caught: unknown) => {
        if (current) setError(describe(caught));
      },
    );
    return () => {
      current = false;
    };
  }, [library, attempt, describe]);

  if (error) {
    return (
      <Alert
        action={
          <button
            type="button"
            onClick={() => {
              setError(null);
              setAttempt((n) => n + 1);
            }}
          >
            {t('common.retry')}
          </button>
        }
      >
        {error}
      </Alert>
    );
  }
  if (!items) return <Loading />;
  return (
    <div className="stack">
      <p className="muted">{t('library.stale.intro')}</p>
      {items.length === 0 ? (
        <Alert kind="success">{t('library.stale.none')}</Alert>
      ) : (
        <div className="table-wrap">
          <table className="library-table stale">
            <thead>
              <tr>
                <th scope="col">{t('library.stale.reviewBy')}</th>
                <th scope="col">{t('library.stale.title')}</th>
                <th scope="col">{t('library.stale.kind')}</th>
                <th scope="col">{t('library.stale.owner')}</th>
              </tr>
            </thead>
            <tbody>
              {/* The API lists them oldest first; the order is kept as given. */}
              {items.map((entry) => (
                <tr key={`${entry.kind}-${entry.id}`} data-stale={entry.id}>
                  <th scope="row">{formatDay(entry.review_by)}</th>
                  <td>
                    <a
                      href={editHref(entry)}
                      aria-label={t('library.stale.edit', { name: entry.title })}
                      onClick={(event) => {
                        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
                        event.preventDefault();
                        const tab = TAB_OF_KIND[entry.kind] ?? 'stale';
                        onEdit(tab, editHref(entry).includes('&edit=') ? entry.id : null);
                      }}
                    >
                      {entry.title}
                    </a>
                  </td>
                  <td>{kindLabel(entry.kind)}</td>
                  <td>{entry.owner}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
