'use client';
/** A proposal: live draft, sections (edit / regenerate), PDF, versions, exports, and the failure panel. */
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useMemo, useState } from 'react';
import { ApiError, exportSuffix, type ExportFormat } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import { LibraryApi, type Accepted } from '@/lib/library';
import { describeLibraryError, documentStatusText } from '@/lib/library-words';
import { sectionTitle } from '@/lib/sections';
import { isBusy, useProposal } from '@/lib/useProposal';
import type { Investment, Proposal, Version } from '@/lib/types';
import { ProposalHistory } from './AuditLog';
import { DeleteProposal } from './DeleteProposal';
import { ProposalPeople } from './ProposalPeople';
import { flagsOf, SearchModeNote, SectionFlags, SectionGrounding } from './Grounding';
import { LiveDraft, StageProgress } from './LiveDraft';
import { PdfPanel, slug } from './PdfPanel';
import { ConfirmRequest } from './ConfirmRequest';
import { Requirements } from './Requirements';
import { ReviewBadge, ReviewPanel, Threads, useReview } from './Review';
import { SectionCard } from './SectionCard';
import { SharePanel } from './SharePanel';
import { Shell } from './Shell';
import { Alert, Loading, StatusBadge } from './ui';

export function ProposalView({ id }: { id: string }) {
  const { t } = useApp();
  const [title, setTitle] = useState<string | null>(null);
  return (
    <Shell title={title ?? t('nav.proposals')}>
      <ProposalBody id={id} onTitle={setTitle} />
    </Shell>
  );
}

function ProposalBody({ id, onTitle }: { id: string; onTitle: (title: string) => void }) {
  const { api, t, formatDate, locale } = useApp();
  const router = useRouter();
  const { proposal, versions, live, connection, refresh, error, notFound } = useProposal(id);
  const review = useReview(id, proposal ? `${proposal.version}-${proposal.status}-${proposal.review_state}` : '');
  const [selected, setSelected] = useState<number | null>(null);

  useEffect(() => {
    if (proposal) onTitle(proposal.client_name);
  }, [proposal, onTitle]);

  if (!proposal) {
    return error ? (
      <Alert action={notFound ? <Link href="/proposals">{t('proposal.back')}</Link> : <button onClick={() => void refresh()}>{t('common.retry')}</button>}>{error}</Alert>
    ) : (
      <Loading />
    );
  }

  const busy = isBusy(proposal.status);
  const firstDraft = proposal.sections.length === 0;
  const pdfVersion = selected ?? proposal.pdf_version ?? null;

  async function change(action: () => Promise<unknown>) {
    await action();
    setSelected(null);
    await refresh();
  }

  return (
    <div className="proposal">
      <div className="proposal-meta">
        <Link href="/proposals">← {t('proposal.back')}</Link>
        <StatusBadge status={proposal.status} />
        <ReviewBadge state={review.review?.state ?? proposal.review_state} />
        <span className="muted">{t('proposal.version', { version: proposal.version })}</span>
        <span className="muted">{proposal.industry}</span>
        <span className="muted">{t('proposal.created', { date: formatDate(proposal.created_at) })}</span>
        <TraceLink traceUrl={proposal.trace_url} />
        {proposal.draft && (
          <span className={proposal.draft.ai_generated ? 'muted' : 'badge badge-info'}>
            {proposal.draft.ai_generated ? t('proposal.aiLabel', { provider: proposal.draft.provider, model: proposal.draft.model }) : t('proposal.noAiLabel')}
          </span>
        )}
      </div>

      {proposal.status === 'failed' && <FailurePanel proposal={proposal} />}

      {proposal.status === 'awaiting_confirmation' && (
        <div className="proposal-grid">
          <ConfirmRequest proposal={proposal} onConfirmed={refresh} />
          <aside className="side">
            <Requirements proposalId={id} version={proposal.version} review={review} />
          </aside>
        </div>
      )}

      {proposal.status !== 'failed' && proposal.status !== 'awaiting_confirmation' && <StageProgress status={proposal.status} />}
      {connection === 'polling' && busy && <Alert kind="info">{t('proposal.polling')}</Alert>}
      {connection === 'reconnecting' && busy && <Alert kind="info">{t('proposal.reconnecting')}</Alert>}

      {firstDraft && proposal.status !== 'failed' && proposal.status !== 'awaiting_confirmation' && <LiveDraft live={live} status={proposal.status} />}

      {!firstDraft && (
        <div className="proposal-grid">
          <section aria-labelledby="sections-title" className="sections">
            <h2 id="sections-title">{t('proposal.sections')}</h2>
            <SearchModeNote mode={proposal.search_mode} />
            {proposal.watermark && (
              <Alert kind="warning" title={proposal.watermark}>
                {t('proposal.watermark')}
              </Alert>
            )}
            {busy && (
              <Alert kind="info">
                {t('proposal.busy')}
                {proposal.status === 'generating' && live && live.version === proposal.version && live.current && (
                  <span className="muted"> ({sectionTitle(live.current, locale)}: {t('proposal.writing')})</span>
                )}
              </Alert>
            )}
            {proposal.sections.map((section) => (
              <SectionCard
                key={`${section.key}-${proposal.version}`}
                section={section}
                busy={busy}
                onEdit={(content) => change(() => api.editSection(id, section.key, content))}
                onRegenerate={(instructions) => change(() => api.regenerateSection(id, section.key, instructions))}
                marker={<SectionFlags flags={flagsOf(proposal, section.key)} />}
                footer={
                  <>
                    <SectionGrounding proposal={proposal} section={section} busy={busy} onEditEffort={(edit) => change(() => api.editEffort(id, edit))} />
                    <Threads data={review} kind="section" anchor={section.key} title={`${t('threads.title')}: ${section.title}`} />
                  </>
                }
              />
            ))}
          </section>
          <aside className="side">
            <ReviewPanel data={review} onChanged={refresh} />
            <PdfPanel proposalId={id} version={pdfVersion} clientName={proposal.client_name} stamp={review.review ? `${review.review.state}-${review.review.approved_version}-${review.review.approval_required}` : review.error ? 'no-review' : null} />
            <SharePanel proposal={proposal} onSent={() => void refresh()} />
            {proposal.investment && <InvestmentTable investment={proposal.investment} />}
            <Exports proposal={proposal} />
            <Requirements proposalId={id} version={proposal.version} review={review} />
            <AddToLibrary proposalId={id} versions={versions} />
            <Versions versions={versions} current={proposal.version} shown={pdfVersion} onShow={setSelected} />
            <ProposalPeople proposal={proposal} onChanged={refresh} />
            <ProposalHistory proposalId={id} changed={`${proposal.version}-${proposal.status}`} />
          </aside>
        </div>
      )}
      <DeleteProposal proposal={proposal} onDeleted={() => router.push(`/proposals?deleted=${encodeURIComponent(proposal.client_name)}`)} />
    </div>
  );
}

/** A link to the proposal's trace in the tracing UI (TRACING_UI_URL), when the gateway gives one. */
export function TraceLink({ traceUrl }: { traceUrl?: string | null }) {
  const { t } = useApp();
  if (!traceUrl) return null;
  return (
    <a href={traceUrl} target="_blank" rel="noopener noreferrer" title={t('proposal.viewTraceHint')}>
      {t('proposal.viewTrace')}
    </a>
  );
}

function FailurePanel({ proposal }: { proposal: Proposal }) {
  const { t } = useApp();
  return (
    <section className="alert alert-error failure" role="alert" aria-labelledby="failure-title">
      <h2 id="failure-title">{t('proposal.failedTitle')}</h2>
      {proposal.error && (
        <>
          <p className="failure-reason" data-testid="failure-reason">
            {proposal.error.detail}
          </p>
          <p className="muted">{t('proposal.failedStage', { stage: proposal.error.stage })}</p>
        </>
      )}
      <p>{t('proposal.failedHelp')}</p>
      <Link className="button" href={`/proposals/new?from=${proposal.id}`}>
        {t('proposal.failedRetry')}
      </Link>
    </section>
  );
}

/**
 * The investment as the gateway priced it, with the same code as the PDF (lines, subtotal, discount, taxes on the
 * discounted subtotal, total), in the template's currency; amounts are exact decimal strings, only formatted here.
 */
export function InvestmentTable({ investment }: { investment: Investment }) {
  const { t, formatMoney, formatNumber } = useApp();
  const money = (amount: string) => formatMoney(amount, investment.currency);
  const percent = (rate: string) => `${formatNumber(rate)}%`;
  const discounted = /[1-9]/.test(investment.discount_percent ?? '');
  const notes = [
    investment.pricing_source === 'default_template' && t('proposal.pricingFallback'),
    investment.pricing_source === 'built_in' && t('proposal.pricingBuiltIn'),
    t('proposal.amountsIn', { currency: investment.currency }),
    investment.taxes.length > 0 && t('proposal.taxesNote'),
  ].filter(Boolean);
  return (
    <section className="card" aria-labelledby="investment-title">
      <h2 id="investment-title">{t('proposal.investment')}</h2>
      {/* Scrolls sideways on a phone: focusable, so a keyboard can scroll it too (axe: scrollable-region-focusable). */}
      <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="investment-title">
        <table className="investment">
          <thead>
            <tr>
              <th scope="col">{t('proposal.item')}</th>
              <th scope="col" className="number">{t('proposal.qty')}</th>
              <th scope="col" className="number">{t('proposal.unitPrice')}</th>
              <th scope="col" className="number">{t('proposal.amount')}</th>
            </tr>
          </thead>
          <tbody>
            {investment.lines.map((line, index) => (
              <tr key={index}>
                <td>
                  <div className="clamp" title={line.description}>{line.description}</div>
                </td>
                <td className="number">{formatNumber(line.quantity)}</td>
                <td className="number">{money(line.unit_price)}</td>
                <td className="number">{money(line.amount)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr data-testid="investment-subtotal">
              <th scope="row" colSpan={3}>{t('proposal.subtotal')}</th>
              <td className="number">{money(investment.subtotal)}</td>
            </tr>
            {discounted && (
              <>
                <tr data-testid="investment-discount">
                  <th scope="row" colSpan={3}>{t('proposal.discount', { percent: percent(investment.discount_percent ?? '0') })}</th>
                  <td className="number">{money(negative(investment.discount))}</td>
                </tr>
                <tr data-testid="investment-net">
                  <th scope="row" colSpan={3}>{t('proposal.net')}</th>
                  <td className="number">{money(investment.net)}</td>
                </tr>
              </>
            )}
            {investment.taxes.map((tax, index) => (
              <tr key={index} data-testid="investment-tax">
                <th scope="row" colSpan={3}>{t('proposal.tax', { label: tax.label, rate: percent(tax.rate) })}</th>
                <td className="number">{money(tax.amount)}</td>
              </tr>
            ))}
            <tr className="investment-total">
              <th scope="row" colSpan={3}>{t('proposal.total')}</th>
              <td className="number" data-testid="investment-total">{money(investment.total)}</td>
            </tr>
          </tfoot>
        </table>
      </div>
      <p className="muted table-note">{notes.join(' ')}</p>
    </section>
  );
}

/** A decimal string with its sign flipped, without arithmetic ("550.00" -> "-550.00"). */
function negative(amount: string): string {
  return amount.startsWith('-') ? amount.slice(1) : `-${amount}`;
}

function Exports({ proposal }: { proposal: Proposal }) {
  const { api, t, describeError } = useApp();
  const [message, setMessage] = useState<string | null>(null);

  async function download(format: ExportFormat) {
    setMessage(null);
    try {
      const blob = await api.blob(api.exportPath(proposal.id, format));
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `${slug(proposal.client_name)}-v${proposal.version}${exportSuffix(format)}`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (caught) {
      setMessage(caught instanceof ApiError && caught.kind === 'not_found' ? t('common.notAvailable') : describeError(caught));
    }
  }

  return (
    <section className="card" aria-labelledby="exports-title">
      <h2 id="exports-title">{t('proposal.exports')}</h2>
      <div className="row">
        <button type="button" className="button-secondary" onClick={() => void download('html')}>
          {t('proposal.exportHtml')}
        </button>
        <button type="button" className="button-secondary" onClick={() => void download('md')}>
          {t('proposal.exportMd')}
        </button>
        <button type="button" className="button-secondary" onClick={() => void download('docx')}>
          {t('proposal.exportDocx')}
        </button>
        <button type="button" className="button-secondary" onClick={() => void download('pdfa')}>
          {t('proposal.exportPdfa')}
        </button>
      </div>
      {message && <p className="field-error" role="status">{message}</p>}
    </section>
  );
}

function Versions({ versions, current, shown, onShow }: { versions: Version[]; current: number; shown: number | null; onShow: (version: number) => void }) {
  const { t, formatDate, locale } = useApp();
  return (
    <section className="card" aria-labelledby="versions-title">
      <h2 id="versions-title">{t('proposal.versions')}</h2>
      <ol className="versions" reversed>
        {[...versions].reverse().map((version) => (
          <li key={version.version} data-version={version.version}>
            <div>
              <strong>{t('proposal.version', { version: version.version })}</strong>
              {version.version === current && <span className="muted"> ({t('proposal.current')})</span>}
              <br />
              <span className="muted">
                {version.origin === 'draft'
                  ? t('proposal.origin.draft')
                  : t(`proposal.origin.${version.origin}`, { section: sectionTitle(version.section_key ?? '', locale) })}
                {' · '}
                <time dateTime={version.created_at}>{formatDate(version.created_at)}</time>
                {version.pages ? ` · ${t('proposal.pages', { pages: version.pages })}` : ''}
              </span>
              {version.instructions && <q className="instructions">{version.instructions}</q>}
            </div>
            {version.pdf_url ? (
              <button type="button" className="button-secondary" aria-pressed={shown === version.version} onClick={() => onShow(version.version)} aria-label={`${t('proposal.viewPdf')}: ${t('proposal.version', { version: version.version })}`}>
                {t('proposal.viewPdf')}
              </button>
            ) : (
              <span className="muted">{t('proposal.notRendered')}</span>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}

/**
 * "Add to the library": the newest version with a PDF, added as a past proposal (POST
 * /api/library/documents/from-proposal), with what the gateway answered: a new document (201) or the one already
 * holding that version (200), and its indexing status. Shown once a version has a PDF.
 */
export function AddToLibrary({ proposalId, versions }: { proposalId: string; versions: Version[] }) {
  const { api, t, describeError } = useApp();
  const library = useMemo(() => new LibraryApi(api), [api]);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Accepted | null>(null);
  const [error, setError] = useState<string | null>(null);
  const rendered = [...versions].reverse().find((version) => version.pdf_url);
  if (!rendered) return null;
  const version = rendered.version;

  async function add() {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await library.addProposal({ proposal_id: proposalId, version }));
    } catch (caught) {
      setError(caught instanceof ApiError && caught.kind === 'not_found' ? t('proposal.library.notFound') : describeLibraryError(caught, t, describeError));
    } finally {
      setBusy(false);
    }
  }

  const shown = result && result.document.proposal_version === version ? result : null;
  return (
    <section className="card" aria-labelledby="library-add-title" data-testid="add-to-library">
      <h2 id="library-add-title">{t('proposal.library.title')}</h2>
      <p className="muted" id="library-add-help">
        {t('proposal.library.help', { version })}
      </p>
      <button type="button" className="button-secondary" aria-describedby="library-add-help" disabled={busy} onClick={() => void add()}>
        {busy ? t('proposal.library.adding') : t('proposal.library.add')}
      </button>
      {shown && (
        <Alert kind={shown.created ? 'success' : 'info'} id="library-add-result">
          {t(shown.created ? 'proposal.library.added' : 'proposal.library.already', { title: shown.document.title, status: documentStatusText(shown.document, t) })}{' '}
          <Link href="/library?tab=documents">{t('proposal.library.open')}</Link>
        </Alert>
      )}
      {error && <Alert>{error}</Alert>}
    </section>
  );
}
