'use client';
/** Templates: everyone reads them; admins edit HTML and CSS and preview as PDF, errors shown where the template is wrong. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import type { Template, TemplateSummary, TemplateUpload } from '@/lib/types';
import { Alert, Field, Loading, NotAvailable } from './ui';

export function Templates() {
  const { api, t, formatDate, describeError, principal } = useApp();
  // The gateway refuses changes and previews from others anyway; they get the files to read, and no such buttons.
  const admin = principal?.admin === true;
  const open = admin ? t('templates.edit') : t('templates.view');
  const [items, setItems] = useState<TemplateSummary[] | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'missing' | 'forbidden' | 'error'>('loading');
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);

  const load = useCallback(async () => {
    setState('loading');
    try {
      const result = await api.listTemplates();
      setItems(Array.isArray(result) ? result : result.items);
      setState('ready');
    } catch (caught) {
      if (caught instanceof ApiError && caught.kind === 'not_found') setState('missing');
      else if (caught instanceof ApiError && caught.kind === 'forbidden') setState('forbidden');
      else {
        setError(describeError(caught));
        setState('error');
      }
    }
  }, [api, describeError]);

  useEffect(() => {
    void load();
  }, [load]);

  if (state === 'loading') return <Loading />;
  if (state === 'missing') return <NotAvailable what={t('templates.what')} />;
  if (state === 'forbidden') return <Alert kind="warning">{t('templates.adminOnly')}</Alert>;
  if (state === 'error') return <Alert action={<button onClick={() => void load()}>{t('common.retry')}</button>}>{error}</Alert>;

  return (
    <>
      {items && items.length === 0 && <p className="empty card">{t('templates.empty')}</p>}
      <ul className="proposal-list">
        {items?.map((item) => (
          <li key={item.name} className="card proposal-row">
            <div className="proposal-row-main">
              <strong>{item.name}</strong>
              {item.description && <span className="muted">{item.description}</span>}
              {item.is_default && <span className="muted small">{t('templates.default')}</span>}
            </div>
            <span className="muted">{item.updated_at ? formatDate(item.updated_at) : ''}</span>
            <button type="button" className="button-secondary" onClick={() => setEditing(item.name)} aria-label={`${open}: ${item.name}`}>
              {open}
            </button>
          </li>
        ))}
      </ul>
      {editing && <TemplateEditor key={editing} name={editing} readOnly={!admin} onClose={() => setEditing(null)} />}
    </>
  );
}

/** Where the API says the template is wrong: which file, line and column, and what. */
interface TemplateProblem {
  file: string;
  line: number | null;
  column: number | null;
  message: string;
}

export function templateProblems(error: ApiError): TemplateProblem[] {
  const items = (error.problem.errors ?? []) as unknown as Array<Record<string, unknown>>;
  if (items.length) {
    return items.map((item) => ({
      file: String(item['file'] ?? item['field'] ?? ''),
      line: typeof item['line'] === 'number' ? item['line'] : null,
      column: typeof item['column'] === 'number' ? item['column'] : null,
      message: String(item['message'] ?? ''),
    }));
  }
  return [{ file: '', line: null, column: null, message: error.problem.detail ?? error.message }];
}

/** A template's text files: editable, saved and previewed by an admin; only shown to anyone else (`readOnly`). */
function TemplateEditor({ name, readOnly, onClose }: { name: string; readOnly: boolean; onClose: () => void }) {
  const { api, t, locale, describeError } = useApp();
  const [template, setTemplate] = useState<Template | null>(null);
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [problems, setProblems] = useState<TemplateProblem[]>([]);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [previewing, setPreviewing] = useState(false);

  useEffect(() => {
    api.getTemplate(name).then(
      (loaded) => {
        setTemplate(loaded);
        setTexts(Object.fromEntries(loaded.files.filter((file) => file.text !== null).map((file) => [file.path, file.text ?? ''])));
      },
      (caught) => setMessage({ kind: 'error', text: describeError(caught) }),
    );
  }, [api, name, describeError]);

  useEffect(() => () => void (preview && URL.revokeObjectURL(preview)), [preview]);

  function upload(): TemplateUpload {
    const files: TemplateUpload['files'] = {};
    for (const file of template?.files ?? []) {
      if (file.path === 'manifest.json') continue; // the manifest travels as the `manifest` object
      files[file.path] = file.path in texts ? { text: texts[file.path] ?? '' } : { sha256: file.sha256 };
    }
    return { manifest: template?.manifest ?? {}, files };
  }

  function handle(caught: unknown) {
    if (caught instanceof ApiError && caught.kind === 'invalid') {
      setProblems(templateProblems(caught));
      setMessage({ kind: 'error', text: `${t('templates.errorsTitle')}: ${caught.problem.detail ?? ''}` });
    } else setMessage({ kind: 'error', text: describeError(caught) });
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    if (readOnly) return;
    setProblems([]);
    setMessage(null);
    try {
      setTemplate(await api.saveTemplate(name, upload()));
      setMessage({ kind: 'success', text: t('templates.saved') });
    } catch (caught) {
      handle(caught);
    }
  }

  async function showPreview() {
    setProblems([]);
    setMessage(null);
    setPreviewing(true);
    try {
      const blob = await api.previewTemplate(name, upload(), locale);
      setPreview(URL.createObjectURL(new Blob([blob], { type: 'application/pdf' })));
    } catch (caught) {
      handle(caught);
    } finally {
      setPreviewing(false);
    }
  }

  const errorFor = (path: string) =>
    problems
      .filter((problem) => problem.file === path)
      .map((problem) => `${problem.line ? `${problem.column ? t('templates.lineColumn', { line: problem.line, column: problem.column }) : t('templates.line', { line: problem.line })}: ` : ''}${problem.message}`)
      .join('; ') || undefined;
  const elsewhere = problems.filter((problem) => !(problem.file in texts));
  const editable = Object.keys(texts)
    .filter((path) => /\.(html?|css|jinja2?|j2)$/i.test(path))
    .sort((a, b) => Number(/\.css$/i.test(a)) - Number(/\.css$/i.test(b)) || a.localeCompare(b));

  return (
    <section className="card" aria-labelledby="editor-title">
      <div className="section-head">
        <h2 id="editor-title">{name}</h2>
        <button type="button" className="button-secondary" onClick={onClose}>
          {t('common.close')}
        </button>
      </div>
      {readOnly && <p className="muted">{t('templates.readOnly')}</p>}
      {message && <Alert kind={message.kind}>{message.text}</Alert>}
      {elsewhere.length > 0 && (
        <Alert kind="error">
          <ul>
            {elsewhere.map((problem, index) => (
              <li key={index}>
                {problem.file && <code>{problem.file}</code>} {problem.line ? `(${problem.line}:${problem.column ?? 1})` : ''} {problem.message}
              </li>
            ))}
          </ul>
        </Alert>
      )}
      {!template && !message && <Loading />}
      {template && (
        <form onSubmit={save} className="template-editor">
          {editable.map((path) => {
            const id = `template-file-${path.replace(/[^a-z0-9]/gi, '-')}`;
            const error = errorFor(path);
            return (
              <Field key={path} id={id} label={path} error={error}>
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
              </Field>
            );
          })}
          {!readOnly && (
            <div className="row">
              <button type="submit">{t('common.save')}</button>
              <button type="button" className="button-secondary" onClick={() => void showPreview()} disabled={previewing}>
                {previewing ? t('templates.previewing') : t('templates.preview')}
              </button>
            </div>
          )}
        </form>
      )}
      {preview && (
        <div className="pdf-frame">
          <iframe src={preview} title={`${t('templates.preview')}: ${name}`} />
        </div>
      )}
    </section>
  );
}
