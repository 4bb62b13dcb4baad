'use client';
/** Templates: everyone reads them; admins create one from a copy, edit brand, pricing, logo, HTML and CSS, preview, delete. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import { copyOf, TEMPLATE_NAME } from '@/lib/templates';
import type { TemplateSummary } from '@/lib/types';
import { TemplateEditor } from './TemplateEditor';
import { Alert, describedBy, Field, Loading, NotAvailable, useFocusLater } from './ui';

type ListState = 'loading' | 'ready' | 'missing' | 'forbidden' | 'error';

export function Templates() {
  const { api, t, formatDate, describeError, principal } = useApp();
  // The gateway refuses changes and previews from others anyway; they get the files to read, and no such buttons.
  const admin = principal?.admin === true;
  const open = admin ? t('templates.edit') : t('templates.view');
  const [items, setItems] = useState<TemplateSummary[] | null>(null);
  const [state, setState] = useState<ListState>('loading');
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const focusLater = useFocusLater();

  // `quiet`: refresh the list in place, keeping the editor open (after a create, save or delete).
  const load = useCallback(
    async (quiet = false) => {
      if (!quiet) setState('loading');
      try {
        const result = await api.listTemplates();
        setItems(Array.isArray(result) ? result : result.items);
        setState('ready');
      } catch (caught) {
        if (caught instanceof ApiError && caught.kind === 'not_found') setState('missing');
        else if (caught instanceof ApiError && caught.kind === 'forbidden') setState('forbidden');
        else if (!quiet) {
          setError(describeError(caught));
          setState('error');
        }
      }
    },
    [api, describeError],
  );

  useEffect(() => {
    void load();
  }, [load]);

  if (state === 'loading') return <Loading />;
  if (state === 'missing') return <NotAvailable what={t('templates.what')} />;
  if (state === 'forbidden') return <Alert kind="warning">{t('templates.adminOnly')}</Alert>;
  if (state === 'error') return <Alert action={<button onClick={() => void load()}>{t('common.retry')}</button>}>{error}</Alert>;

  function startCreate() {
    setCreating(true);
    setNotice(null);
    focusLater('field-template-name');
  }

  function cancelCreate() {
    setCreating(false);
    focusLater('template-new');
  }

  function created(name: string, from: string) {
    setCreating(false);
    setNotice(t('templates.created', { name, from }));
    setEditing(name);
    focusLater('editor-title');
    void load(true);
  }

  function deleted(name: string) {
    setEditing(null);
    setNotice(t('templates.deleted', { name }));
    focusLater('templates-notice');
    void load(true);
  }

  const names = items?.map((item) => item.name) ?? [];
  const defaultName = items?.find((item) => item.is_default)?.name ?? names[0] ?? 'default';

  return (
    <>
      {admin && (
        <div className="page-actions">
          <button type="button" id="template-new" onClick={startCreate} aria-expanded={creating}>
            {t('templates.new')}
          </button>
        </div>
      )}
      {admin && creating && <CreateTemplate names={names} defaultFrom={defaultName} onCreated={created} onCancel={cancelCreate} />}
      {notice && (
        <Alert kind="success" id="templates-notice" focusable>
          {notice}
        </Alert>
      )}
      {items && items.length === 0 && <p className="empty card">{t('templates.empty')}</p>}
      <ul className="proposal-list template-list">
        {items?.map((item) => (
          <li key={item.name} className="card proposal-row" data-template={item.name}>
            <div className="proposal-row-main">
              <strong>
                {item.name}
                {item.version !== undefined && admin && <span className="muted small template-version"> · {t('templates.version', { version: item.version })}</span>}
              </strong>
              {item.company_name && <span className="template-company">{t('templates.company', { company: item.company_name })}</span>}
              {item.description && <span className="muted">{item.description}</span>}
              {item.is_default && <span className="muted small">{t('templates.default')}</span>}
            </div>
            <span className="muted">{item.updated_at ? formatDate(item.updated_at) : ''}</span>
            <button
              type="button"
              className="button-secondary"
              onClick={() => {
                setEditing(item.name);
                setNotice(null);
              }}
              aria-label={`${open}: ${item.name}`}
            >
              {open}
            </button>
          </li>
        ))}
      </ul>
      {editing && (
        <TemplateEditor
          key={editing}
          name={editing}
          readOnly={!admin}
          onClose={() => setEditing(null)}
          onSaved={() => void load(true)}
          onDeleted={deleted}
        />
      )}
    </>
  );
}

/** "New template": a valid, unused name and the template to copy (manifest and files, binaries by SHA-256). */
function CreateTemplate({ names, defaultFrom, onCreated, onCancel }: { names: string[]; defaultFrom: string; onCreated: (name: string, from: string) => void; onCancel: () => void }) {
  const { api, t, describeError } = useApp();
  const [name, setName] = useState('');
  const [from, setFrom] = useState(defaultFrom);
  const [nameError, setNameError] = useState<string | undefined>();
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function refuse(message: string) {
    setNameError(message);
    setTimeout(() => document.getElementById('field-template-name')?.focus(), 0);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFormError(null);
    const wanted = name.trim();
    if (!wanted) return refuse(t('form.required'));
    if (!TEMPLATE_NAME.test(wanted)) return refuse(t('templates.nameInvalid'));
    if (names.includes(wanted)) return refuse(t('templates.nameTaken'));
    setNameError(undefined);
    setBusy(true);
    try {
      const source = await api.getTemplate(from);
      // Version 0: the template must not exist yet, so a name taken meanwhile is refused (412), not overwritten.
      await api.saveTemplate(wanted, copyOf(source), 0);
      onCreated(wanted, from);
    } catch (caught) {
      if (caught instanceof ApiError && caught.kind === 'precondition') refuse(t('templates.nameTaken'));
      else if (caught instanceof ApiError && caught.kind === 'invalid' && !(caught.problem.errors ?? []).length) refuse(caught.problem.detail || t('templates.nameInvalid'));
      else setFormError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card create-template" aria-labelledby="template-create-title">
      <h2 id="template-create-title">{t('templates.createTitle')}</h2>
      <p className="muted">{t('templates.createIntro')}</p>
      {formError && <Alert>{formError}</Alert>}
      <form onSubmit={submit} noValidate>
        <div className="grid-2">
          <Field id="field-template-name" label={t('templates.name')} hint={t('templates.nameHint')} error={nameError}>
            <input
              id="field-template-name"
              name="name"
              value={name}
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              onChange={(event) => {
                setName(event.target.value);
                if (nameError) setNameError(undefined);
              }}
              aria-invalid={nameError ? true : undefined}
              aria-describedby={describedBy('field-template-name', true, nameError)}
            />
          </Field>
          <Field id="field-template-from" label={t('templates.from')}>
            <select id="field-template-from" name="from" value={from} onChange={(event) => setFrom(event.target.value)}>
              {names.map((option) => (
                <option key={option} value={option}>
                  {option}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <div className="row">
          <button type="submit" disabled={busy}>
            {busy ? t('templates.creating') : t('templates.create')}
          </button>
          <button type="button" className="button-secondary" onClick={onCancel} disabled={busy}>
            {t('common.cancel')}
          </button>
        </div>
      </form>
    </section>
  );
}
