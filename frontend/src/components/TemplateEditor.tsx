'use client';
/**
 * One template: its HTML and CSS (read only for non-admins); for admins also its brand and pricing, a new logo, a PDF
 * preview, its history, save (If-Match the version opened) and delete (never the default).
 */
import { useCallback, useEffect, useState, type ChangeEvent, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import { brandDraftOf, brandProblems, editedUpload, logoOf, LogoRefused, readLogo, templateProblems, type BrandDraft, type NewLogo, type TemplateProblem } from '@/lib/templates';
import type { Template } from '@/lib/types';
import { BrandFields } from './TemplateBrand';
import { Alert, Loading, useFocusLater } from './ui';

type Busy = 'save' | 'preview' | 'delete' | null;

export interface TemplateEditorProps {
  name: string;
  readOnly: boolean;
  onClose: () => void;
  /** After a save: the list shows the new version. */
  onSaved?: (template: Template) => void;
  /** After a delete. */
  onDeleted?: (name: string) => void;
}

export function TemplateEditor({ name, readOnly, onClose, onSaved, onDeleted }: TemplateEditorProps) {
  const { api, t, locale, describeError, formatDate } = useApp();
  const [template, setTemplate] = useState<Template | null>(null);
  const [loadFailure, setLoadFailure] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [draft, setDraft] = useState<BrandDraft | null>(null);
  const [logo, setLogo] = useState<NewLogo | null>(null);
  const [logoError, setLogoError] = useState<string | null>(null);
  const [currentLogo, setCurrentLogo] = useState<string | null>(null);
  const [problems, setProblems] = useState<TemplateProblem[]>([]);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  // The gateway's 412: someone changed the template since it was opened.
  const [stale, setStale] = useState<string | null>(null);
  const [busy, setBusy] = useState<Busy>(null);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [preview, setPreview] = useState<string | null>(null);
  const focus = useFocusLater();

  const open = useCallback((loaded: Template) => {
    setTemplate(loaded);
    setTexts(Object.fromEntries(loaded.files.filter((file) => file.text !== null).map((file) => [file.path, file.text ?? ''])));
    setDraft(brandDraftOf(loaded.manifest));
    setLogo(null);
    setLogoError(null);
  }, []);

  useEffect(() => {
    let current = true;
    api.getTemplate(name).then(
      (loaded) => {
        if (current) open(loaded);
      },
      (caught: unknown) => {
        if (current) setLoadFailure(caught);
      },
    );
    return () => {
      current = false;
    };
  }, [api, name, open, reloads]);

  // The logo it prints now, for admins changing it: fetched with the token, shown as a data: URL.
  useEffect(() => {
    const path = template ? logoOf(template.manifest) : '';
    const file = template?.files.find((item) => item.path === path);
    if (readOnly || !file?.url) return;
    let current = true;
    api
      .blob(file.url, 'image/*')
      .then(dataUrl)
      .then(
        (url) => {
          if (current) setCurrentLogo(url);
        },
        () => undefined,
      );
    return () => {
      current = false;
    };
  }, [api, template, readOnly]);

  useEffect(() => () => void (preview && URL.revokeObjectURL(preview)), [preview]);

  const upload = () => editedUpload(template as Template, texts, readOnly ? null : draft, readOnly ? null : logo);

  function clearOutcome() {
    setProblems([]);
    setMessage(null);
    setStale(null);
  }

  function handle(caught: unknown) {
    if (caught instanceof ApiError && caught.kind === 'precondition') {
      setStale(caught.problem.detail ?? '');
      focus('template-stale');
    } else if (caught instanceof ApiError && caught.kind === 'invalid') {
      setProblems(templateProblems(caught));
      focus('template-problems');
    } else if (caught instanceof ApiError && caught.kind === 'too_large') {
      const detail = caught.problem.detail ? ` (${caught.problem.detail})` : '';
      setMessage({ kind: 'error', text: `${t('templates.tooLarge')}${detail}${logo ? ` ${t('templates.logoTooLarge')}` : ''}` });
      focus('template-message');
    } else {
      setMessage({ kind: 'error', text: describeError(caught) });
      focus('template-message');
    }
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    if (readOnly || !template || busy) return;
    clearOutcome();
    setBusy('save');
    try {
      const saved = await api.saveTemplate(name, upload(), template.version);
      open(saved);
      setMessage({ kind: 'success', text: t('templates.savedVersion', { version: saved.version ?? '' }) });
      focus('template-message');
      onSaved?.(saved);
    } catch (caught) {
      handle(caught);
    } finally {
      setBusy(null);
    }
  }

  async function showPreview() {
    if (!template) return;
    clearOutcome();
    setBusy('preview');
    try {
      const blob = await api.previewTemplate(name, upload(), locale);
      setPreview(URL.createObjectURL(new Blob([blob], { type: 'application/pdf' })));
    } catch (caught) {
      handle(caught);
    } finally {
      setBusy(null);
    }
  }

  async function remove() {
    if (!template) return;
    clearOutcome();
    setBusy('delete');
    try {
      await api.deleteTemplate(name, template.version);
      onDeleted?.(name);
    } catch (caught) {
      setConfirmingDelete(false);
      if (caught instanceof ApiError && caught.kind === 'conflict') {
        setMessage({ kind: 'error', text: t('templates.deleteRefused', { detail: caught.problem.detail ?? '' }) });
        focus('template-message');
      } else handle(caught);
    } finally {
      setBusy(null);
    }
  }

  async function pickLogo(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (!file || !template) return;
    try {
      setLogo(await readLogo(file, logoOf(template.manifest)));
      setLogoError(null);
    } catch (caught) {
      setLogo(null);
      if (caught instanceof LogoRefused) {
        setLogoError(caught.reason === 'type' ? t('templates.logoType') : t('templates.logoSize', { size: `${(caught.size / 1024 / 1024).toFixed(1)} MB` }));
      } else setLogoError(String(caught));
      event.target.value = '';
    }
  }

  function keepLogo() {
    setLogo(null);
    setLogoError(null);
    const input = document.getElementById('template-logo') as HTMLInputElement | null;
    if (input) input.value = '';
    focus('template-logo');
  }

  function reload() {
    clearOutcome();
    setPreview(null);
    setReloads((count) => count + 1);
    focus('editor-title');
  }

  const placeOf = (problem: TemplateProblem) =>
    problem.line ? (problem.column ? t('templates.lineColumn', { line: problem.line, column: problem.column }) : t('templates.line', { line: problem.line })) : '';
  const errorFor = (path: string) =>
    problems
      .filter((problem) => problem.file === path && !problem.field)
      .map((problem) => `${placeOf(problem) ? `${placeOf(problem)}: ` : ''}${problem.message}`)
      .join('; ') || undefined;
  const editable = Object.keys(texts)
    .filter((path) => /\.(html?|css|jinja2?|j2)$/i.test(path))
    .sort((a, b) => Number(/\.css$/i.test(a)) - Number(/\.css$/i.test(b)) || a.localeCompare(b));
  const brandErrors = { ...brandProblems(problems, logo?.path ?? (template ? logoOf(template.manifest) : '')), ...(logoError ? { logo: logoError } : {}) };
  const deletable = !readOnly && template !== null && !(template.is_default ?? name === 'default');
  const history = template?.history ?? [];

  return (
    <section className="card template-editor-card" aria-labelledby="editor-title" data-template={name}>
      <div className="section-head">
        <h2 id="editor-title" tabIndex={-1}>
          {name}
          {template?.version !== undefined && <span className="badge badge-queued title-badge">{t('templates.version', { version: template.version })}</span>}
        </h2>
        <div className="row">
          {deletable && (
            <button
              type="button"
              id="template-delete"
              className="button-secondary button-danger-outline"
              onClick={() => {
                setConfirmingDelete(true);
                focus('template-delete-cancel');
              }}
              aria-expanded={confirmingDelete}
              disabled={busy !== null}
            >
              {t('templates.delete')}
            </button>
          )}
          <button type="button" className="button-secondary" onClick={onClose}>
            {t('common.close')}
          </button>
        </div>
      </div>
      {confirmingDelete && (
        <div role="group" aria-labelledby="template-delete-question" className="confirm confirm-box">
          <p id="template-delete-question">{t('templates.confirmDelete', { name })}</p>
          <div className="row">
            <button type="button" className="button-danger" onClick={() => void remove()} disabled={busy !== null}>
              {busy === 'delete' ? t('templates.deleting') : t('templates.confirmDeleteButton')}
            </button>
            <button
              type="button"
              id="template-delete-cancel"
              className="button-secondary"
              onClick={() => {
                setConfirmingDelete(false);
                focus('template-delete');
              }}
              disabled={busy === 'delete'}
            >
              {t('common.cancel')}
            </button>
          </div>
        </div>
      )}
      {readOnly && <p className="muted">{t('templates.readOnly')}</p>}
      {stale !== null && (
        <Alert
          kind="warning"
          id="template-stale"
          focusable
          title={t('templates.changedTitle')}
          action={
            <button type="button" onClick={reload}>
              {t('templates.reload')}
            </button>
          }
        >
          {t('templates.changed', { version: template?.version ?? '' })}
          {stale && <span className="small muted problem-detail">{stale}</span>}
        </Alert>
      )}
      {message && (
        <Alert kind={message.kind} id="template-message" focusable>
          {message.text}
        </Alert>
      )}
      {loadFailure !== null && !template && <Alert>{describeError(loadFailure)}</Alert>}
      {!template && loadFailure === null && <Loading />}
      {problems.length > 0 && (
        <div className="alert alert-error template-problems" role="alert" id="template-problems" tabIndex={-1} aria-labelledby="template-problems-title">
          <p className="alert-title" id="template-problems-title">
            {t('templates.problemsTitle')}
          </p>
          <p className="small">{t('templates.problemsIntro')}</p>
          <ul>
            {problems.map((problem, index) => (
              <li key={index} data-problem-file={problem.file}>
                {(problem.field ?? problem.file) && <code>{problem.field ?? problem.file}</code>}
                {placeOf(problem) && <span className="problem-place"> ({placeOf(problem)})</span>}
                {(problem.field ?? problem.file) ? ': ' : ''}
                {problem.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {template && (
        <form onSubmit={save} className="template-form" noValidate>
          {!readOnly && draft && (
            <BrandFields
              draft={draft}
              onChange={setDraft}
              currentLogo={currentLogo}
              logo={logo}
              onPickLogo={(event) => void pickLogo(event)}
              onKeepLogo={keepLogo}
              errors={brandErrors}
              focus={focus}
              disabled={busy !== null}
            />
          )}
          <div className="template-editor">
            {editable.map((path) => {
              const id = `template-file-${path.replace(/[^a-z0-9]/gi, '-')}`;
              const error = errorFor(path);
              return (
                <div key={path} className={`field${error ? ' field-invalid' : ''}`}>
                  <label htmlFor={id}>{path}</label>
                  <textarea
                    id={id}
                    className="code"
                    rows={18}
                    value={texts[path] ?? ''}
                    readOnly={readOnly}
                    onChange={(e) => setTexts((current) => ({ ...current, [path]: e.target.value }))}
                    spellCheck={false}
                    aria-invalid={error ? true : undefined}
                    aria-describedby={error ? `${id}-error` : undefined}
                  />
                  {error && (
                    <p className="field-error" id={`${id}-error`}>
                      {error}
                    </p>
                  )}
                </div>
              );
            })}
            {!readOnly && (
              <div className="row">
                <button type="submit" disabled={busy !== null}>
                  {busy === 'save' ? t('templates.saving') : t('common.save')}
                </button>
                <button type="button" className="button-secondary" onClick={() => void showPreview()} disabled={busy !== null}>
                  {busy === 'preview' ? t('templates.previewing') : t('templates.preview')}
                </button>
              </div>
            )}
          </div>
        </form>
      )}
      {preview && (
        <div className="pdf-frame">
          <iframe src={preview} title={`${t('templates.preview')}: ${name}`} />
        </div>
      )}
      {!readOnly && history.length > 0 && (
        <section className="template-history" aria-labelledby="template-history-title">
          <h3 id="template-history-title">{t('templates.history')}</h3>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('templates.colVersion')}</th>
                  <th scope="col">{t('templates.colAction')}</th>
                  <th scope="col">{t('templates.colBy')}</th>
                  <th scope="col">{t('templates.colWhen')}</th>
                </tr>
              </thead>
              <tbody>
                {history.map((entry) => (
                  <tr key={entry.version} data-version={entry.version}>
                    <th scope="row">
                      {entry.version}
                      {entry.version === template?.version && <span className="muted small"> ({t('templates.opened')})</span>}
                    </th>
                    <td>{t(`templates.action.${entry.action}`)}</td>
                    <td className="history-by">{entry.created_by.startsWith('token:') ? entry.created_by.slice('token:'.length) : entry.created_by}</td>
                    <td>{formatDate(entry.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </section>
  );
}

/** A fetched image as a data: URL, so the page needs no object URL to forget. */
function dataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('unreadable'));
    reader.readAsDataURL(blob);
  });
}
