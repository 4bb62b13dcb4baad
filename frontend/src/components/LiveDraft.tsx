'use client';
/** The draft while the model writes it: stages, one row per section, and the text being written, in fixed-size boxes. */
import { useEffect, useRef } from 'react';
import { useApp } from '@/lib/app-context';
import { SECTION_KEYS, sectionTitle } from '@/lib/sections';
import type { LiveDraft as LiveState } from '@/lib/useProposal';
import type { ProposalStatus } from '@/lib/types';

const STAGES: ProposalStatus[] = ['queued', 'generating', 'rendering', 'ready'];

export function StageProgress({ status }: { status: ProposalStatus }) {
  const { t } = useApp();
  const reached = STAGES.indexOf(status);
  return (
    <ol className="stages" aria-label={t('proposal.stages')}>
      {STAGES.map((stage, index) => (
        <li
          key={stage}
          className={index < reached || status === 'ready' ? 'stage-done' : index === reached ? 'stage-current' : 'stage-todo'}
          aria-current={index === reached && status !== 'ready' ? 'step' : undefined}
        >
          {t(`proposal.stage.${stage}` as 'proposal.stage.queued')}
        </li>
      ))}
    </ol>
  );
}

export function LiveDraft({ live, status }: { live: LiveState | null; status: ProposalStatus }) {
  const { t, locale, formatNumber } = useApp();
  const textBox = useRef<HTMLDivElement>(null);
  const completed = new Set(live?.completed ?? []);
  const allDone = status === 'rendering' || status === 'ready';
  // Sections may be written side by side (plan-then-write): every section with text and not done is being written.
  const writing = new Set(SECTION_KEYS.filter((key) => !completed.has(key) && (key === live?.current || live?.texts[key] !== undefined)));
  // The text box follows the first section being written, so it does not jump between sections growing at once.
  const current = SECTION_KEYS.find((key) => writing.has(key)) ?? live?.current ?? null;
  const currentText = current ? live?.texts[current]?.text ?? '' : '';
  const done = allDone ? SECTION_KEYS.length : completed.size;

  useEffect(() => {
    const box = textBox.current;
    if (box) box.scrollTop = box.scrollHeight;
  }, [currentText]);

  return (
    <section className="card live" aria-labelledby="live-title">
      <h2 id="live-title">{t('proposal.live')}</h2>
      <div className="progress-line">
        <progress max={SECTION_KEYS.length} value={done} aria-label={t('proposal.sectionsProgress', { done, total: SECTION_KEYS.length })} />
        <span>{t('proposal.sectionsProgress', { done, total: SECTION_KEYS.length })}</span>
        <span className="muted">{t('proposal.characters', { count: formatNumber(live?.characters ?? 0) })}</span>
      </div>
      {live?.notice ? (
        <p className="alert alert-warning" role="status" data-testid="live-notice">
          {live.notice}
        </p>
      ) : null}
      <div className="live-grid">
        <ol className="section-progress">
          {SECTION_KEYS.map((key) => {
            const state = allDone || completed.has(key) ? 'done' : writing.has(key) ? 'writing' : 'waiting';
            return (
              <li key={key} className={`section-${state}`} data-section={key} data-state={state}>
                <span className="section-dot" aria-hidden="true" />
                <span className="section-name">{live?.texts[key]?.title ?? sectionTitle(key, locale)}</span>
                <span className="section-state">{t(state === 'done' ? 'proposal.done' : state === 'writing' ? 'proposal.writing' : 'proposal.waiting')}</span>
              </li>
            );
          })}
        </ol>
        <div className="live-text-wrap">
          <p className="live-text-title">{current ? live?.texts[current]?.title ?? sectionTitle(current, locale) : '\u00a0'}</p>
          <div ref={textBox} className="live-text" data-testid="live-text" tabIndex={0} role="region" aria-label={t('proposal.live')}>
            {currentText}
          </div>
        </div>
      </div>
    </section>
  );
}
