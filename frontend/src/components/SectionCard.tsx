'use client';
/** One section: read, edit in place, or ask the model to regenerate it with optional instructions. */
import { useState, type FormEvent, type ReactNode } from 'react';
import { useApp } from '@/lib/app-context';
import type { Section } from '@/lib/types';
import { Markdown } from './Markdown';
import { Alert, Field } from './ui';

type Mode = 'read' | 'edit' | 'regenerate';

/** `marker` shows under the title (a flag for review), `footer` after the content (sources, team, effort). */
export function SectionCard({ section, busy, onEdit, onRegenerate, marker, footer }: { section: Section; busy: boolean; onEdit: (content: string) => Promise<void>; onRegenerate: (instructions: string) => Promise<void>; marker?: ReactNode; footer?: ReactNode }) {
  const { t, describeError } = useApp();
  const [mode, setMode] = useState<Mode>('read');
  const [content, setContent] = useState(section.content);
  const [instructions, setInstructions] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const headingId = `section-${section.key}`;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      if (mode === 'edit') await onEdit(content);
      else await onRegenerate(instructions);
      setMode('read');
      setInstructions('');
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setSaving(false);
    }
  }

  return (
    <article className="card section" aria-labelledby={headingId} data-section={section.key}>
      <header className="section-head">
        <h3 id={headingId}>{section.title}</h3>
        {mode === 'read' && (
          <div className="section-actions">
            <button
              type="button"
              className="button-secondary"
              disabled={busy}
              onClick={() => {
                setContent(section.content);
                setMode('edit');
              }}
              aria-label={`${t('proposal.edit')}: ${section.title}`}
            >
              {t('proposal.edit')}
            </button>
            <button type="button" className="button-secondary" disabled={busy} onClick={() => setMode('regenerate')} aria-label={`${t('proposal.regenerate')}: ${section.title}`}>
              {t('proposal.regenerate')}
            </button>
          </div>
        )}
      </header>
      {marker}
      {error && <Alert>{error}</Alert>}
      {mode === 'edit' ? (
        <form onSubmit={submit}>
          <Field id={`edit-${section.key}`} label={t('proposal.content', { title: section.title })}>
            <textarea id={`edit-${section.key}`} value={content} rows={Math.min(24, Math.max(8, content.split('\n').length + 2))} onChange={(e) => setContent(e.target.value)} autoFocus />
          </Field>
          <div className="row">
            <button type="submit" disabled={saving || busy}>
              {saving ? t('proposal.saving') : t('common.save')}
            </button>
            <button type="button" className="button-secondary" onClick={() => setMode('read')}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      ) : (
        <>
          <Markdown source={section.content} />
          {mode === 'regenerate' && (
            <form onSubmit={submit} className="regenerate-form">
              <Field id={`instructions-${section.key}`} label={t('proposal.instructions')} hint={t('proposal.instructionsHint')} optional>
                <input id={`instructions-${section.key}`} value={instructions} onChange={(e) => setInstructions(e.target.value)} aria-describedby={`instructions-${section.key}-hint`} autoFocus />
              </Field>
              <div className="row">
                <button type="submit" disabled={saving || busy}>
                  {saving ? t('proposal.saving') : t('proposal.regenerate')}
                </button>
                <button type="button" className="button-secondary" onClick={() => setMode('read')}>
                  {t('common.cancel')}
                </button>
              </div>
            </form>
          )}
        </>
      )}
      {footer}
    </article>
  );
}
