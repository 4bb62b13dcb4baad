'use client';
/**
 * What a grounded proposal stands on (issue #15), beside its sections: the library passages each section cites (click
 * to read the passage, with a link to its entry or document), the claims no source supports, the team's people, the
 * effort priced by the gateway (hours editable: the gateway prices them again, the browser never adds amounts), the
 * budget comparison and how the library was searched.
 */
import Link from 'next/link';
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import type { MessageKey } from '@/lib/messages';
import type { BudgetComparison, ClaimFlag, Effort, EffortEdit, Proposal, SearchMode, Section, Source, TeamMember } from '@/lib/types';
import { Alert } from './ui';

type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

const ENTRY_KINDS = ['company', 'service', 'person', 'case_study', 'role'];
const DOCUMENT_CATEGORIES = ['past_proposal', 'rfp_answer', 'methodology', 'cv', 'other'];
/** The Library tab of an entry kind. */
const ENTRY_TABS: Record<string, string> = { company: 'company', service: 'services', person: 'people', case_study: 'case-studies', role: 'rates' };

/** A source's kind in words: an entry kind, or a document's category. */
export function kindLabel(kind: string, t: Translate): string {
  if (ENTRY_KINDS.includes(kind)) return t(`library.kind.${kind}` as MessageKey);
  if (DOCUMENT_CATEGORIES.includes(kind)) return t(`library.docs.category.${kind}` as MessageKey);
  return kind;
}

/** Where in the Library area a source lives: its entry (opened for editing), the documents tab, or nowhere. */
export function libraryHref(source: Pick<Source, 'kind' | 'entry_id' | 'document_id'>): string | null {
  if (source.document_id) return '/library?tab=documents';
  if (!source.entry_id) return null;
  const tab = ENTRY_TABS[source.kind];
  if (!tab) return null;
  return tab === 'company' ? '/library?tab=company' : `/library?tab=${tab}&edit=${encodeURIComponent(source.entry_id)}`;
}

/** A note when the draft did not use the library's semantic search: searched by text only, or nothing found. */
export function SearchModeNote({ mode }: { mode: SearchMode | null | undefined }) {
  const { t } = useApp();
  if (mode !== 'none' && mode !== 'full_text') return null;
  return (
    <p className="search-mode-note" data-testid="search-mode" data-mode={mode}>
      {t(`grounding.mode.${mode}`)}
    </p>
  );
}

/** The flags of one section, from the proposal's. */
export function flagsOf(proposal: Pick<Proposal, 'flags'>, section: string): ClaimFlag[] {
  return (proposal.flags ?? []).filter((flag) => flag.section === section);
}

/** The marker on a section with claims no cited source supports: the sentences and why (never in the PDF). */
export function SectionFlags({ flags }: { flags: ClaimFlag[] }) {
  const { t } = useApp();
  const titleId = useId();
  if (flags.length === 0) return null;
  const reasons = ['no_source', 'number_without_source', 'certification_without_source', 'rate_in_other_currency'];
  return (
    <div className="flag-marker" role="note" aria-labelledby={titleId} data-testid="section-flags">
      <p className="flag-title" id={titleId}>
        <span className="flag-icon" aria-hidden="true">!</span>
        {flags.length === 1 ? t('grounding.flag.title.one') : t('grounding.flag.title.other', { count: flags.length })}
      </p>
      <p className="flag-intro">{t('grounding.flag.intro')}</p>
      <ul className="flag-list">
        {flags.map((flag, index) => (
          <li key={index} data-reason={flag.reason}>
            <q>{flag.text}</q> <span className="flag-reason">— {t(reasons.includes(flag.reason) ? (`grounding.flag.reason.${flag.reason}` as MessageKey) : 'grounding.flag.reason.unknown')}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A section's extras: its sources, and the team's people or the priced effort in those sections. */
export function SectionGrounding({ proposal, section, busy, onEditEffort }: { proposal: Proposal; section: Pick<Section, 'key' | 'title'>; busy: boolean; onEditEffort: (edit: EffortEdit) => Promise<void> }) {
  const sources = (proposal.sources ?? []).find((entry) => entry.section === section.key)?.sources ?? [];
  const team = section.key === 'team' ? proposal.team ?? [] : [];
  const investment = section.key === 'investment';
  if (sources.length === 0 && team.length === 0 && !(investment && (proposal.effort || proposal.budget_comparison))) return null;
  return (
    <div className="grounding">
      {team.length > 0 && <TeamPeople team={team} />}
      {investment && proposal.effort && <EffortPanel effort={proposal.effort} busy={busy} onSave={onEditEffort} />}
      {investment && proposal.budget_comparison && <BudgetSentence comparison={proposal.budget_comparison} />}
      {sources.length > 0 && <SectionSourcesList sources={sources} sectionKey={section.key} sectionTitle={section.title} />}
    </div>
  );
}

/** The passages a section cites, each a disclosure: its button shows kind, title and place; open, the passage. */
export function SectionSourcesList({ sources, sectionKey, sectionTitle }: { sources: Source[]; sectionKey: string; sectionTitle: string }) {
  const { t } = useApp();
  const headingId = `sources-${sectionKey}`;
  return (
    <section className="sources" aria-labelledby={headingId} data-testid="section-sources">
      <h4 id={headingId} className="grounding-heading">
        {t('grounding.sources')} <span className="muted">({sources.length === 1 ? t('grounding.sourceCount.one') : t('grounding.sourceCount.other', { count: sources.length })})</span>
        <span className="visually-hidden"> — {sectionTitle}</span>
      </h4>
      <ul className="source-list">
        {sources.map((source, index) => (
          <SourceItem key={`${source.passage_id}-${index}`} source={source} id={`source-${sectionKey}-${index}`} />
        ))}
      </ul>
    </section>
  );
}

function SourceItem({ source, id }: { source: Source; id: string }) {
  const { t } = useApp();
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const panelId = `${id}-passage`;
  const href = libraryHref(source);
  const where = [source.heading_path.join(' › '), source.page !== null && source.page !== undefined ? t('grounding.page', { page: source.page }) : ''].filter(Boolean).join(' · ');

  function close(event: KeyboardEvent) {
    if (event.key !== 'Escape' || !open) return;
    event.preventDefault();
    event.stopPropagation();
    setOpen(false);
    button.current?.focus();
  }

  return (
    <li className="source" data-passage={source.passage_id} data-kind={source.kind} onKeyDown={close}>
      <button
        ref={button}
        type="button"
        className="source-toggle"
        id={`${id}-toggle`}
        aria-expanded={open}
        aria-controls={panelId}
        title={t(open ? 'grounding.hidePassage' : 'grounding.showPassage', { title: source.title })}
        onClick={() => setOpen((value) => !value)}
      >
        <span className={`source-kind ${source.document_id ? 'source-kind-document' : 'source-kind-entry'}`}>{kindLabel(source.kind, t)}</span>
        <span className="source-title">{source.title}</span>
        {where && <span className="source-where">{where}</span>}
        <span className="source-chevron" aria-hidden="true" />
      </button>
      <div className="source-passage" id={panelId} role="group" aria-label={t('grounding.passageOf', { title: source.title })} hidden={!open}>
        {source.snippet ? <blockquote className="source-snippet">{source.snippet}</blockquote> : <p className="muted">{t('grounding.noSnippet')}</p>}
        <p className="source-actions">
          {href && <Link href={href}>{t(source.document_id ? 'grounding.openDocument' : 'grounding.openEntry')}</Link>}
          <span className="muted small">{t('grounding.closeHint')}</span>
        </p>
      </div>
    </li>
  );
}

/** The people proposed, as the roster had them: name, role, seniority, what they do here, bio. */
export function TeamPeople({ team }: { team: TeamMember[] }) {
  const { t } = useApp();
  const seniority = (value: string) => (['junior', 'mid', 'senior', 'principal'].includes(value) ? t(`library.seniority.${value}` as MessageKey) : value);
  return (
    <section className="team-people" aria-labelledby="team-people-title" data-testid="team-people">
      <h4 id="team-people-title" className="grounding-heading">
        {t('grounding.team')}
      </h4>
      <ul className="people-cards">
        {team.map((member) => (
          <li key={member.person_id} className="person-card" data-person={member.person_id}>
            <p className="person-name">{member.name}</p>
            <p className="person-role muted">{[member.role_name, member.seniority ? seniority(member.seniority) : ''].filter(Boolean).join(' · ')}</p>
            {member.project_role && <p className="person-project">{t('grounding.projectRole', { role: member.project_role })}</p>}
            {member.bio && <p className="person-bio">{member.bio}</p>}
          </li>
        ))}
      </ul>
      <p className="muted table-note">{t('grounding.teamIntro')}</p>
    </section>
  );
}

/** "40.00" -> "40", "12.50" -> "12.5": the hours as a person would type them. */
export function plainHours(hours: string): string {
  return hours.includes('.') ? hours.replace(/\.?0+$/, '') : hours;
}

/** The hours a person typed, as the API takes them ("12,5" -> "12.5"), or the message key of what is wrong. */
export function checkHours(value: string): { hours: string } | { error: MessageKey } {
  const text = value.trim().replace(',', '.');
  if (!text) return { error: 'grounding.hours.required' };
  if (!/^\d+(\.\d{1,2})?$/.test(text) || !/[1-9]/.test(text)) return { error: 'grounding.hours.invalid' };
  if (Number(text) > 100_000) return { error: 'grounding.hours.tooMany' };
  return { hours: text };
}

/** The effort as the gateway priced it, with an "Edit hours" mode whose save sends only phases, roles and hours. */
export function EffortPanel({ effort, busy, onSave }: { effort: Effort; busy: boolean; onSave: (edit: EffortEdit) => Promise<void> }) {
  const { t, formatMoney, formatNumber, wordFieldError, describeError } = useApp();
  const [editing, setEditing] = useState(false);
  const [values, setValues] = useState<string[]>([]);
  const [errors, setErrors] = useState<Record<number, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const focusTarget = useRef<string | null>(null);
  const money = (amount: string | null | undefined, currency: string | null | undefined) => (amount === null || amount === undefined || !currency ? '—' : formatMoney(amount, currency));
  const priced = effort.lines.length - effort.unpriced_lines > 0;

  useEffect(() => {
    if (!focusTarget.current) return;
    const target = document.getElementById(focusTarget.current);
    focusTarget.current = null;
    target?.focus();
  });

  function start() {
    setValues(effort.lines.map((line) => plainHours(line.hours)));
    setErrors({});
    setProblem(null);
    setEditing(true);
    focusTarget.current = 'effort-hours-0';
  }

  function cancel() {
    setEditing(false);
    setErrors({});
    setProblem(null);
    setTimeout(() => editButton.current?.focus(), 0);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const checked = values.map(checkHours);
    const found: Record<number, string> = {};
    checked.forEach((result, index) => {
      if ('error' in result) found[index] = t(result.error);
    });
    setErrors(found);
    const first = Object.keys(found)[0];
    if (first !== undefined) {
      setProblem(t('grounding.hours.fix'));
      focusTarget.current = `effort-hours-${first}`;
      return;
    }
    const lines = effort.lines.map((line, index) => {
      const result = checked[index];
      return { phase: line.phase, role_id: line.role_id, hours: result && 'hours' in result ? result.hours : line.hours };
    });
    setSaving(true);
    setProblem(null);
    try {
      await onSave({ lines });
      setEditing(false);
    } catch (caught) {
      const [message, fieldErrors] = refusal(caught);
      setErrors(fieldErrors);
      setProblem(message);
      focusTarget.current = 'effort-problem';
    } finally {
      setSaving(false);
    }
  }

  /** The gateway's refusal: per-line errors from a 422's fields, and one sentence for the whole form. */
  function refusal(caught: unknown): [string, Record<number, string>] {
    if (!(caught instanceof ApiError) || caught.kind !== 'invalid') return [describeError(caught), {}];
    const perLine: Record<number, string> = {};
    for (const item of caught.problem.errors ?? []) {
      const match = /lines\.(\d+)\.hours/.exec(item.field);
      if (match) perLine[Number(match[1])] = wordFieldError(item);
    }
    if (Object.keys(perLine).length > 0) return [t('grounding.hours.fix'), perLine];
    const detail = typeof caught.problem.detail === 'string' ? caught.problem.detail.trim() : '';
    return [detail ? t('grounding.refusedDetail', { detail }) : t('grounding.refused'), {}];
  }

  return (
    <section className="effort" aria-labelledby="effort-title" data-testid="effort">
      <div className="section-head">
        <h4 id="effort-title" className="grounding-heading">
          {editing ? t('grounding.editHoursTitle') : t('grounding.effort')}
        </h4>
        {!editing && (
          <button ref={editButton} type="button" className="button-secondary button-small" disabled={busy} onClick={start}>
            {t('grounding.editHours')}
          </button>
        )}
      </div>
      {problem && (
        <div id="effort-problem" tabIndex={-1}>
          <Alert>{problem}</Alert>
        </div>
      )}
      <form onSubmit={submit} noValidate>
        <div className="table-wrap">
          <table className="investment effort-table">
            <thead>
              <tr>
                <th scope="col">{t('grounding.phase')}</th>
                <th scope="col">{t('grounding.role')}</th>
                <th scope="col" className="number">{t('grounding.hours')}</th>
                <th scope="col" className="number">{t('grounding.rate')}</th>
                <th scope="col" className="number">{t('grounding.amount')}</th>
              </tr>
            </thead>
            <tbody>
              {effort.lines.map((line, index) => (
                <tr key={index} data-line={index}>
                  <td>{line.phase}</td>
                  <td>{line.role_name}</td>
                  <td className="number">
                    {editing ? (
                      <>
                        <input
                          id={`effort-hours-${index}`}
                          className="hours-input"
                          type="number"
                          inputMode="decimal"
                          min="0.01"
                          max="100000"
                          step="0.01"
                          value={values[index] ?? ''}
                          aria-label={t('grounding.hoursOf', { role: line.role_name, phase: line.phase })}
                          aria-invalid={errors[index] ? true : undefined}
                          aria-describedby={errors[index] ? `effort-hours-${index}-error` : undefined}
                          onChange={(event) => setValues((current) => current.map((value, at) => (at === index ? event.target.value : value)))}
                        />
                        {errors[index] && (
                          <span className="field-error block" id={`effort-hours-${index}-error`}>
                            {errors[index]}
                          </span>
                        )}
                      </>
                    ) : (
                      formatNumber(line.hours)
                    )}
                  </td>
                  <td className="number">{line.hourly_rate ? money(line.hourly_rate, line.currency) : <span title={t('grounding.noRate')}>—</span>}</td>
                  <td className="number">{line.amount ? money(line.amount, line.currency) : <span title={t('grounding.noRate')}>—</span>}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr className="investment-total">
                <th scope="row" colSpan={4}>
                  {t('grounding.total')}
                </th>
                <td className="number" data-testid="effort-total">
                  {priced ? money(effort.total, effort.currency) : '—'}
                </td>
              </tr>
            </tfoot>
          </table>
        </div>
        {editing && (
          <>
            <p className="hint">{t('grounding.hoursHelp')}</p>
            <div className="row">
              <button type="submit" disabled={saving || busy}>
                {saving ? t('grounding.savingHours') : t('grounding.saveHours')}
              </button>
              <button type="button" className="button-secondary" onClick={cancel}>
                {t('common.cancel')}
              </button>
            </div>
          </>
        )}
      </form>
      <p className="muted table-note">
        {!priced ? t('grounding.noPrices') : effort.unpriced_lines > 0 ? `${effort.unpriced_lines === 1 ? t('grounding.unpriced.one') : t('grounding.unpriced.other', { count: effort.unpriced_lines })} ` : ''}
        {priced && t('grounding.effortNote')}
      </p>
    </section>
  );
}

/** "12.50" or "-3.10" -> its size without the sign, for "x% over/under". */
function unsigned(percent: string): string {
  return percent.startsWith('-') ? percent.slice(1) : percent;
}

/** How the priced total compares with the request's budget, as one sentence with a status colour. */
export function BudgetSentence({ comparison }: { comparison: BudgetComparison }) {
  const { t, formatMoney, formatNumber } = useApp();
  const values = {
    total: formatMoney(comparison.total, comparison.currency),
    budget: formatMoney(comparison.budget, comparison.currency),
    percent: `${formatNumber(unsigned(comparison.difference_percent))}%`,
  };
  const verdict = comparison.verdict;
  const sentence = verdict === 'within' && !/[1-9]/.test(comparison.difference_percent) ? t('grounding.budget.withinExact', values) : t(`grounding.budget.${verdict}`, values);
  return (
    <div className={`budget budget-${verdict}`} data-testid="budget-comparison" data-verdict={verdict}>
      <span className={`badge budget-badge`}>{t(`grounding.budget.label.${verdict}`)}</span>
      <p className="budget-sentence">{sentence}</p>
      <p className="muted small">{t('grounding.budget.note')}</p>
    </div>
  );
}
