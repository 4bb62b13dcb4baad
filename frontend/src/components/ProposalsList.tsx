'use client';
/** The proposals: search, status and industry filters, pagination, status badges. */
import Link from 'next/link';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useApp } from '@/lib/app-context';
import type { ProposalList, ProposalStatus } from '@/lib/types';
import { ReviewBadge } from './Review';
import { Alert, Loading, StatusBadge } from './ui';

const STATUSES: ProposalStatus[] = ['awaiting_confirmation', 'queued', 'generating', 'rendering', 'ready', 'failed'];
const PAGE_SIZE = 20;

interface Filters {
  q: string;
  status: string;
  industry: string;
  page: number;
  /** Only those the caller owns or collaborates on. */
  mine?: boolean;
}

export function ProposalsList() {
  const { api, t, formatDate, describeError } = useApp();
  const [filters, setFilters] = useState<Filters>({ q: '', status: '', industry: '', page: 1 });
  const [draft, setDraft] = useState<Filters>(filters);
  const [data, setData] = useState<ProposalList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [deleted, setDeleted] = useState<string | null>(null);

  useEffect(() => {
    // A proposal just deleted comes back here with its client's name; said once, then taken off the address.
    const url = new URL(window.location.href);
    const name = url.searchParams.get('deleted');
    if (!name) return;
    setDeleted(name.slice(0, 200));
    url.searchParams.delete('deleted');
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  }, []);

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      setData(await api.listProposals({ ...filters, mine: filters.mine || undefined, page_size: PAGE_SIZE }));
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setLoading(false);
    }
  }, [api, filters, describeError]);

  useEffect(() => {
    void load();
  }, [load]);

  // Keep statuses fresh while something is in progress.
  useEffect(() => {
    if (!data?.items.some((item) => item.status !== 'ready' && item.status !== 'failed')) return;
    const timer = setInterval(() => void api.listProposals({ ...filters, mine: filters.mine || undefined, page_size: PAGE_SIZE }).then(setData, () => undefined), 3000);
    return () => clearInterval(timer);
  }, [api, data, filters]);

  function apply(event: FormEvent) {
    event.preventDefault();
    setFilters({ ...draft, page: 1 });
  }

  const filtered = Boolean(filters.q || filters.status || filters.industry || filters.mine);
  const pages = data ? Math.max(1, Math.ceil(data.total / data.page_size)) : 1;
  // The gateway stops counting at a limit: then there are at least that many, and more pages than it says.
  const atLeast = (count: number) => (data?.total_exact === false ? `${count}+` : count);
  const lastPage = data ? data.next_cursor === null : true;

  return (
    <>
      {deleted && <Alert kind="success">{t('proposal.deletedNotice', { name: deleted })}</Alert>}
      <form className="filters" onSubmit={apply} role="search" aria-label={t('list.filters')}>
        <div className="field">
          <label htmlFor="q">{t('list.search')}</label>
          <input id="q" type="search" value={draft.q} onChange={(e) => setDraft({ ...draft, q: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="status">{t('list.status')}</label>
          <select id="status" value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value })}>
            <option value="">{t('list.allStatuses')}</option>
            {STATUSES.map((status) => (
              <option key={status} value={status}>
                {t(`status.${status}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="industry">{t('list.industry')}</label>
          <input id="industry" value={draft.industry} onChange={(e) => setDraft({ ...draft, industry: e.target.value })} />
        </div>
        <div className="field-inline">
          <input id="mine" type="checkbox" checked={Boolean(draft.mine)} onChange={(e) => setDraft({ ...draft, mine: e.target.checked })} />
          <label htmlFor="mine">{t('list.mine')}</label>
        </div>
        <div className="filter-actions">
          <button type="submit">{t('list.apply')}</button>
          {filtered && (
            <button
              type="button"
              className="button-secondary"
              onClick={() => {
                const cleared = { q: '', status: '', industry: '', page: 1 };
                setDraft(cleared);
                setFilters(cleared);
              }}
            >
              {t('list.clear')}
            </button>
          )}
        </div>
      </form>

      {error && <Alert action={<button onClick={() => void load()}>{t('common.retry')}</button>}>{error}</Alert>}
      {loading && !data && <Loading />}
      {data && data.items.length === 0 && (
        <div className="empty card">
          <p>{filtered ? t('list.emptyFiltered') : t('list.empty')}</p>
          {!filtered && (
            <Link className="button" href="/proposals/new">
              {t('list.createFirst')}
            </Link>
          )}
        </div>
      )}
      {data && data.items.length > 0 && (
        <>
          <p className="muted" aria-live="polite">
            {t('list.total', { total: atLeast(data.total) })}
          </p>
          <ul className="proposal-list" aria-busy={loading}>
            {data.items.map((item) => (
              <li key={item.id} className="card proposal-row">
                <div className="proposal-row-main">
                  <Link href={`/proposals/${item.id}`} className="proposal-link">
                    {item.client_name}
                  </Link>
                  <span className="muted">{item.industry}</span>
                  {item.owner && (
                    <span className="muted">
                      {t('list.owner')}: {item.owner.display_name}
                    </span>
                  )}
                </div>
                <span className="badges">
                  <StatusBadge status={item.status} />
                  {item.review_state && item.review_state !== 'draft' && <ReviewBadge state={item.review_state} />}
                </span>
                <span className="muted">{t('proposal.version', { version: item.version })}</span>
                <span className="muted">
                  <span className="visually-hidden">{t('list.updated')}: </span>
                  <time dateTime={item.updated_at}>{formatDate(item.updated_at)}</time>
                </span>
              </li>
            ))}
          </ul>
          <nav className="pagination" aria-label={t('list.pagination')}>
            <button type="button" className="button-secondary" disabled={filters.page <= 1} onClick={() => setFilters({ ...filters, page: filters.page - 1 })}>
              {t('list.previous')}
            </button>
            <span>{t('list.page', { page: data.page, pages: atLeast(pages) })}</span>
            <button type="button" className="button-secondary" disabled={lastPage} onClick={() => setFilters({ ...filters, page: filters.page + 1 })}>
              {t('list.next')}
            </button>
          </nav>
        </>
      )}
    </>
  );
}
