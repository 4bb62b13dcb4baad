'use client';
/**
 * The client's document and the compliance matrix of a proposal (issue #16): attach an RFP or edital, follow its
 * reading, check the fields found in it, set each requirement's status and note, and export the matrix. With the
 * proposal's review data, each requirement has its comment threads (issue #19), as each section has.
 */
import { useCallback, useEffect, useMemo, useState, type ChangeEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import type { MessageKey } from '@/lib/messages';
import {
  COMPLIANCE_STATUSES,
  documentProgress,
  formatDay,
  mandatorySummary,
  RequirementsApi,
  reviewPending,
  stillReading,
  type ClientDocument,
  type ComplianceStatus,
  type RequirementMatrix,
  type RequirementRow,
} from '@/lib/requirements';
import { Threads, type ReviewData } from './Review';
import { Alert } from './ui';

const POLL_MS = 1500;

export function Requirements({ proposalId, version, review }: { proposalId: string; version: number; review?: ReviewData }) {
  const { api, t } = useApp();
  const client = useMemo(() => new RequirementsApi(api, proposalId), [api, proposalId]);
  const [documents, setDocuments] = useState<ClientDocument[]>([]);
  const [matrix, setMatrix] = useState<RequirementMatrix | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [uploading, setUploading] = useState(false);
  const [round, setRound] = useState(0); // a new attachment starts following the reading again

  const load = useCallback(async () => {
    try {
      const [docs, rows] = await Promise.all([client.documents(), client.matrix()]);
      setDocuments(docs);
      setMatrix(rows);
      return docs;
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
      return [];
    }
  }, [client]);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      const docs = await load();
      if (!stopped && (stillReading(docs) || reviewPending(docs))) timer = setTimeout(() => void tick(), POLL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [load, version, round]);

  async function attach(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    setUploading(true);
    setError(null);
    try {
      await client.attach(file, file.name);
      setRound((value) => value + 1);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    } finally {
      setUploading(false);
    }
  }

  async function remove(item: ClientDocument) {
    setError(null);
    try {
      try {
        await client.remove(item.id);
      } catch (failure) {
        if (!(failure instanceof ApiError) || failure.problem.code !== 'requirements_assessed') throw failure;
        if (!window.confirm(t('requirements.doc.removeAssessed', { file: item.filename }))) return;
        await client.remove(item.id, true);
      }
      setRound((value) => value + 1);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    }
  }

  async function save(row: RequirementRow, status: ComplianceStatus, note: string) {
    try {
      await client.setCompliance(row.id, { status, note, sections: row.compliance?.sections ?? [] });
      await load();
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    }
  }

  async function download(format: 'csv' | 'xlsx') {
    try {
      const blob = await client.export(format);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `requirements-${proposalId}.${format}`;
      link.click();
      URL.revokeObjectURL(link.href);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    }
  }

  const rows = matrix?.items ?? [];
  const summary = mandatorySummary(rows);
  return (
    <section className="card requirements" aria-labelledby="requirements-title">
      <h2 id="requirements-title">{t('requirements.title')}</h2>
      {error && <Alert>{error}</Alert>}
      <label className="upload">
        {uploading ? t('requirements.attaching') : t('requirements.attach')}
        <input type="file" accept=".pdf,.docx,.xlsx,.txt,.md,.html" onChange={(event) => void attach(event)} disabled={uploading} />
      </label>
      <Deadlines documents={documents} />
      <ul className="documents">
        {documents.map((item) => (
          <li key={item.id} data-testid="client-document">
            <strong>{item.filename}</strong> — {documentProgress(item, t)}{' '}
            <button type="button" onClick={() => void remove(item)} aria-label={t('requirements.doc.remove', { file: item.filename })}>
              {t('requirements.doc.removeShort')}
            </button>
            {item.request_fields && <FoundFields document={item} />}
          </li>
        ))}
      </ul>
      {rows.length === 0 ? (
        documents.length > 0 && <p className="muted">{t('requirements.none')}</p>
      ) : (
        <>
          <p>{t('requirements.summary', summary)}</p>
          <p>
            <button type="button" onClick={() => void download('csv')}>{t('requirements.export.csv')}</button>{' '}
            <button type="button" onClick={() => void download('xlsx')}>{t('requirements.export.xlsx')}</button>
          </p>
          <table className="matrix">
            <caption className="visually-hidden">{t('requirements.matrix')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('requirements.column.requirement')}</th>
                <th scope="col">{t('requirements.column.answer')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <RequirementLine key={row.id} row={row} review={review} onSave={(status, note) => void save(row, status, note)} />
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

/** Every date the documents set for bidders (questions, visit, submission, opening), soonest first. */
function Deadlines({ documents }: { documents: ClientDocument[] }) {
  const { t, locale } = useApp();
  const formatDate = (iso: string) => formatDay(iso, locale);
  const dates = documents
    .flatMap((item) => (item.request_fields?.deadlines ?? []).map((deadline) => ({ ...deadline, filename: item.filename })))
    .sort((a, b) => a.date.localeCompare(b.date));
  if (dates.length === 0) return null;
  return (
    <div className="deadlines" data-testid="deadlines">
      <h3>{t('requirements.deadlines')}</h3>
      <ul>
        {dates.map((deadline) => (
          <li key={`${deadline.filename}-${deadline.kind}-${deadline.date}`} title={deadline.quote}>
            <strong>{formatDate(deadline.date)}</strong> — {t(`requirements.deadline.${deadline.kind}` as MessageKey)}
            <span className="muted"> ({deadline.page ? `${deadline.filename}, p. ${deadline.page}` : deadline.filename})</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function FoundFields({ document }: { document: ClientDocument }) {
  const { t, locale } = useApp();
  const formatDate = (iso: string) => formatDay(iso, locale);
  const fields = document.request_fields;
  if (!fields) return null;
  const lines: [MessageKey, string | null | undefined][] = [
    ['requirements.field.client', fields.client?.value],
    ['requirements.field.object', fields.object?.value],
    ['requirements.field.budget', fields.budget_ceiling ? `${fields.budget_currency ?? ''} ${fields.budget_ceiling}`.trim() : null],
  ];
  const found = lines.filter(([, value]) => value);
  const deadlines = fields.deadlines ?? [];
  if (found.length === 0 && deadlines.length === 0) return null;
  return (
    <dl className="found-fields">
      <dt className="muted">{t('requirements.fields')}</dt>
      {found.map(([key, value]) => (
        <dd key={key}>
          {t(key)}: {value}
        </dd>
      ))}
      {deadlines.map((deadline) => (
        <dd key={`${deadline.kind}-${deadline.date}`} title={deadline.quote}>
          {t(`requirements.deadline.${deadline.kind}` as MessageKey)}: {formatDate(deadline.date)}
          {deadline.page ? ` (p. ${deadline.page})` : ''}
        </dd>
      ))}
    </dl>
  );
}

function RequirementLine({ row, review, onSave }: { row: RequirementRow; review?: ReviewData; onSave: (status: ComplianceStatus, note: string) => void }) {
  const { t } = useApp();
  const [note, setNote] = useState(row.compliance?.note ?? '');
  const status = row.compliance?.status;
  const place = (location: RequirementRow['location']) =>
    (location.page ? t('requirements.where', { file: location.file, page: location.page }) : location.file) +
    (location.clause ? ` · ${t('requirements.clause', { clause: location.clause })}` : '');
  return (
    <tr data-testid="requirement" data-requirement-id={row.id}>
      <td>
        <blockquote>{row.quote}</blockquote>
        <span className="muted">
          {place(row.location)} ·{' '}
          <span data-testid="requirement-obligation">{t(`requirements.obligation.${row.obligation}` as MessageKey)}</span> ·{' '}
          <span data-testid="requirement-kind">{t(`requirements.kind.${row.kind}` as MessageKey)}</span>
          {row.classified_by === 'model' ? ` · ${t('requirements.byModel')}` : ''}
          {row.compliance?.changed_by === 'check' ? ` · ${t('requirements.byCheck')}` : ''}
        </span>
        {row.also_at.length > 0 && (
          <p className="muted also-at" data-testid="requirement-also-at">
            {t('requirements.alsoAt', { places: row.also_at.map(place).join('; ') })}
          </p>
        )}
        {review && <Threads data={review} kind="requirement" anchor={row.id} title={t('requirements.threads', { id: row.id })} />}
      </td>
      <td>
        <select
          aria-label={t('requirements.status.label', { id: row.id })}
          value={status ?? ''}
          onChange={(event) => onSave(event.target.value as ComplianceStatus, note)}
        >
          {!status && <option value="">{t('requirements.status.unassessed')}</option>}
          {COMPLIANCE_STATUSES.map((value) => (
            <option key={value} value={value}>
              {t(`requirements.status.${value}` as MessageKey)}
            </option>
          ))}
        </select>
        <input
          aria-label={t('requirements.note.label', { id: row.id })}
          value={note}
          maxLength={2000}
          onChange={(event) => setNote(event.target.value)}
          onBlur={() => status && note !== (row.compliance?.note ?? '') && onSave(status, note)}
        />
      </td>
    </tr>
  );
}
