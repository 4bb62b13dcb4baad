'use client';
/** The audit log for admins (filters, paging with `before`), and a proposal's history drawn from it. */
import Link from 'next/link';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import { auditFilterErrors, auditQuery, detailsLine, NO_FILTERS, type AuditFilters } from '@/lib/audit';
import type { MessageKey } from '@/lib/messages';
import type { AuditRecord } from '@/lib/types';
import { Alert, describedBy, Field, Loading } from './ui';

const PAGE = 50;

/** Read the filters a link brings (`/audit?object_type=proposal&object_id=…`). */
function filtersFromLocation(): AuditFilters {
  if (typeof window === 'undefined') return NO_FILTERS;
  const params = new URLSearchParams(window.location.search);
  return {
    ...NO_FILTERS,
    action: params.get('action') ?? '',
    actor: params.get('actor') ?? '',
    objectType: params.get('object_type') ?? '',
    objectId: params.get('object_id') ?? '',
  };
}

export function AuditLog() {
  const { api, t, describeError, principal } = useApp();
  const [draft, setDraft] = useState<AuditFilters>(NO_FILTERS);
  // Null until the address is read (after the first render: a link's query is there only once the page is shown).
  const [applied, setApplied] = useState<AuditFilters | null>(null);
  const [items, setItems] = useState<AuditRecord[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'forbidden' | 'error'>('loading');
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const errors = auditFilterErrors(draft);

  const load = useCallback(
    async (filters: AuditFilters, before: number | null) => {
      if (principal && !principal.admin) {
        setState('forbidden');
        return;
      }
      setError(null);
      try {
        const page = await api.listAudit(auditQuery(filters, before, PAGE));
        setItems((old) => (before ? [...old, ...page.items] : page.items));
        setNext(page.next_before);
        setState('ready');
      } catch (caught) {
        if (caught instanceof ApiError && caught.kind === 'forbidden') setState('forbidden');
        else {
          setError(describeError(caught));
          setState((old) => (old === 'loading' ? 'error' : old));
        }
      }
    },
    [api, describeError, principal],
  );

  useEffect(() => {
    const fromLink = filtersFromLocation();
    setDraft(fromLink);
    setApplied(fromLink);
  }, []);

  useEffect(() => {
    if (applied) void load(applied, null);
  }, [load, applied]);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (Object.keys(errors).length) return;
    setApplied({ ...draft });
  }

  async function older() {
    if (!applied) return;
    setMore(true);
    await load(applied, next);
    setMore(false);
  }

  if (state === 'loading') return <Loading />;
  if (state === 'forbidden') return <Alert kind="warning">{t('audit.adminOnly')}</Alert>;
  const fieldError = (field: keyof AuditFilters) => (errors[field] ? t(`audit.error.${errors[field]}` as MessageKey) : undefined);
  const input = (field: keyof AuditFilters, id: string, type = 'text') => (
    <input
      id={id}
      type={type}
      value={draft[field]}
      onChange={(event) => setDraft({ ...draft, [field]: event.target.value })}
      aria-invalid={errors[field] ? true : undefined}
      aria-describedby={describedBy(id, field === 'action', fieldError(field))}
    />
  );
  return (
    <>
      <p>{t('audit.intro')}</p>
      <form onSubmit={submit} className="card audit-filters" aria-labelledby="audit-filters-title" noValidate>
        <h2 id="audit-filters-title">{t('audit.filters')}</h2>
        <div className="row">
          <Field id="audit-action" label={t('audit.action')} hint={t('audit.actionHint')} optional>
            {input('action', 'audit-action')}
          </Field>
          <Field id="audit-actor" label={t('audit.actor')} error={fieldError('actor')} optional>
            {input('actor', 'audit-actor')}
          </Field>
          <Field id="audit-object-type" label={t('audit.objectType')} optional>
            {input('objectType', 'audit-object-type')}
          </Field>
          <Field id="audit-object-id" label={t('audit.objectId')} optional>
            {input('objectId', 'audit-object-id')}
          </Field>
          <Field id="audit-since" label={t('audit.since')} error={fieldError('since')} optional>
            {input('since', 'audit-since', 'datetime-local')}
          </Field>
          <Field id="audit-until" label={t('audit.until')} error={fieldError('until')} optional>
            {input('until', 'audit-until', 'datetime-local')}
          </Field>
        </div>
        <div className="row">
          <button type="submit">{t('audit.apply')}</button>
          <button
            type="button"
            className="button-secondary"
            onClick={() => {
              setDraft(NO_FILTERS);
              setApplied(NO_FILTERS);
            }}
          >
            {t('audit.clear')}
          </button>
        </div>
      </form>
      {error && <Alert kind="error">{error}</Alert>}
      <AuditTable items={items} caption={t('audit.title')} />
      {items.length === 0 && state === 'ready' && <p className="muted">{t('audit.none')}</p>}
      {next ? (
        <button type="button" className="button-secondary" disabled={more} onClick={() => void older()}>
          {more ? t('common.loading') : t('audit.more')}
        </button>
      ) : (
        items.length > 0 && <p className="muted">{t('audit.end')}</p>
      )}
    </>
  );
}

function AuditTable({ items, caption, withObject = true }: { items: AuditRecord[]; caption: string; withObject?: boolean }) {
  const { t, formatDate } = useApp();
  if (items.length === 0) return null;
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={caption}>
    <table className="table audit" data-testid="audit-table">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{t('audit.at')}</th>
          <th scope="col">{t('audit.who')}</th>
          <th scope="col">{t('audit.what')}</th>
          {withObject && <th scope="col">{t('audit.object')}</th>}
          <th scope="col">{t('audit.details')}</th>
          {withObject && <th scope="col">{t('audit.from')}</th>}
        </tr>
      </thead>
      <tbody>
        {items.map((record) => (
          <tr key={record.id} data-action={record.action}>
            <td>
              <time dateTime={record.at}>{formatDate(record.at)}</time>
            </td>
            <td>
              {record.actor_name}
              <span className="muted"> ({record.via})</span>
            </td>
            <td>
              <code>{record.action}</code>
              {record.outcome === 'failure' && <span className="badge badge-failed"> {t('audit.outcome.failure')}</span>}
            </td>
            {withObject && <td>{record.object_type ? `${record.object_type} ${record.object_id ?? ''}` : '—'}</td>}
            <td className="audit-details">{detailsLine(record.details)}</td>
            {withObject && <td>{record.address ?? '—'}</td>}
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

/** A proposal's history: its audit records (admins only, as GET /api/audit is; others are told so), asked again when
 * `changed` (the proposal's version and status, say) changes. */
export function ProposalHistory({ proposalId, changed = '' }: { proposalId: string; changed?: string }) {
  const { api, t, describeError, principal } = useApp();
  const [items, setItems] = useState<AuditRecord[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const admin = Boolean(principal?.admin);

  useEffect(() => {
    if (!admin) return;
    let current = true;
    api.listAudit(auditQuery({ ...NO_FILTERS, objectType: 'proposal', objectId: proposalId }, null, 20)).then(
      (page) => current && setItems(page.items),
      (caught) => current && setError(describeError(caught)),
    );
    return () => {
      current = false;
    };
  }, [api, admin, describeError, proposalId, changed]);

  return (
    <section className="card" aria-labelledby="history-title" data-testid="proposal-history">
      <h2 id="history-title">{t('history.title')}</h2>
      {!admin ? (
        <p className="muted">{t('history.adminOnly')}</p>
      ) : error ? (
        <Alert kind="error">{error}</Alert>
      ) : items === null ? (
        <Loading />
      ) : items.length === 0 ? (
        <p className="muted">{t('history.none')}</p>
      ) : (
        <>
          <AuditTable items={items} caption={t('history.title')} withObject={false} />
          <Link href={`/audit?object_type=proposal&object_id=${encodeURIComponent(proposalId)}`}>{t('history.all')}</Link>
        </>
      )}
    </section>
  );
}
