'use client';
/**
 * The request form; field messages come from the API's problem+json. Prefilled from a failed proposal (?from=id).
 * With the client's documents attached, the proposal is started from them instead: it waits for them to be read and
 * for the person to confirm the request fields found (ConfirmRequest), and nothing typed is required.
 */
import { useRouter } from 'next/navigation';
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { RequirementsApi } from '@/lib/requirements';
import { useApp } from '@/lib/app-context';
import type { Language, ProposalRequest } from '@/lib/types';
import { Alert, describedBy, Field } from './ui';

// The form offers no discount (`discount_percent`): a proposal's discount comes from the API only.
type Values = Record<Exclude<keyof ProposalRequest, 'discount_percent'>, string>;
const EMPTY: Values = { client_name: '', industry: '', requirements: '', scope: '', timeline: '', budget: '', language: 'pt-BR', template: 'default' };
const REQUIRED: Array<keyof Values> = ['client_name', 'industry', 'requirements'];

export function ProposalForm({ onCreated }: { onCreated?: (id: string) => void }) {
  const { api, t, describeError, wordFieldError } = useApp();
  const router = useRouter();
  const [values, setValues] = useState<Values>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<keyof Values, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [prefilled, setPrefilled] = useState(false);
  const [templates, setTemplates] = useState<string[]>([]);
  const [files, setFiles] = useState<File[]>([]);

  useEffect(() => {
    const from = new URLSearchParams(window.location.search).get('from');
    if (from) {
      api.getProposal(from).then(
        (proposal) => {
          setValues({
            client_name: proposal.client_name,
            industry: proposal.industry,
            requirements: proposal.requirements,
            scope: proposal.scope ?? '',
            timeline: proposal.timeline ?? '',
            budget: proposal.budget ?? '',
            language: proposal.language,
            template: proposal.template,
          });
          setPrefilled(true);
        },
        () => undefined,
      );
    }
    api.listTemplates().then(
      (result) => setTemplates((Array.isArray(result) ? result : result.items).map((item) => item.name)),
      () => undefined,
    );
  }, [api]);

  function set(name: keyof Values, value: string) {
    setValues((current) => ({ ...current, [name]: value }));
    if (errors[name]) setErrors((current) => ({ ...current, [name]: undefined }));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFormError(null);
    if (files.length > 0) return startFromDocuments();
    const missing: Partial<Record<keyof Values, string>> = {};
    for (const name of REQUIRED) if (!values[name].trim()) missing[name] = t('form.required');
    if (Object.keys(missing).length) {
      setErrors(missing);
      focusFirst(missing);
      return;
    }
    setBusy(true);
    try {
      const request: ProposalRequest = {
        client_name: values.client_name.trim(),
        industry: values.industry.trim(),
        requirements: values.requirements.trim(),
        scope: values.scope.trim() || null,
        timeline: values.timeline.trim() || null,
        budget: values.budget.trim() || null,
        language: values.language as Language,
        template: values.template.trim() || 'default',
      };
      const created = await api.createProposal(request);
      if (onCreated) onCreated(created.id);
      else router.push(`/proposals/${created.id}`);
    } catch (caught) {
      if (caught instanceof ApiError && caught.kind === 'invalid') {
        const fields = caught.fieldErrors(wordFieldError) as Partial<Record<keyof Values, string>>;
        const known = Object.fromEntries(Object.entries(fields).filter(([name]) => name in EMPTY));
        setErrors(known);
        const unknown = Object.keys(fields).filter((name) => !(name in EMPTY));
        setFormError(unknown.length || !Object.keys(known).length ? describeError(caught) : t('error.invalid'));
        focusFirst(known);
      } else {
        setFormError(describeError(caught));
      }
    } finally {
      setBusy(false);
    }
  }

  /** Start the proposal from the attached documents; what was typed goes along, to be confirmed with the rest. */
  async function startFromDocuments() {
    setBusy(true);
    try {
      const started = await api.startFromDocuments({
        client_name: values.client_name.trim(),
        industry: values.industry.trim(),
        requirements: values.requirements.trim(),
        scope: values.scope.trim() || null,
        timeline: values.timeline.trim() || null,
        budget: values.budget.trim() || null,
        language: values.language as Language,
        template: values.template.trim() || 'default',
      });
      const documents = new RequirementsApi(api, started.id);
      for (const file of files) await documents.attach(file, file.name);
      if (onCreated) onCreated(started.id);
      else router.push(`/proposals/${started.id}`);
    } catch (caught) {
      setFormError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  const text = (name: keyof Values, options: { multiline?: boolean; optional?: boolean; hint?: string } = {}) => {
    const id = `field-${name}`;
    const common = {
      id,
      name,
      value: values[name],
      'aria-invalid': errors[name] ? true : undefined,
      'aria-describedby': describedBy(id, Boolean(options.hint), errors[name]),
      'aria-required': options.optional || files.length > 0 ? undefined : true,
    } as const;
    return (
      <Field id={id} label={t(`form.${name}` as 'form.client_name')} error={errors[name]} optional={options.optional} hint={options.hint}>
        {options.multiline ? (
          <textarea {...common} rows={name === 'requirements' ? 6 : 3} onChange={(e) => set(name, e.target.value)} />
        ) : (
          <input {...common} onChange={(e) => set(name, e.target.value)} />
        )}
      </Field>
    );
  };

  return (
    <form className="card form" onSubmit={submit} noValidate>
      <p>{t('form.intro')}</p>
      {prefilled && <Alert kind="info">{t('form.retryNote')}</Alert>}
      {formError && <Alert kind="error">{formError}</Alert>}
      <Field id="field-documents" label={t('form.documents')} optional hint={t('form.documentsHint')}>
        <input
          id="field-documents"
          name="documents"
          type="file"
          multiple
          accept=".pdf,.docx,.xlsx,.txt,.md,.html"
          aria-describedby="field-documents-hint"
          onChange={(event) => setFiles(Array.from(event.target.files ?? []))}
        />
      </Field>
      {files.length > 0 && <Alert kind="info">{t('form.documentsNote', { count: files.length })}</Alert>}
      <div className="grid-2">
        {text('client_name')}
        {text('industry')}
      </div>
      {text('requirements', { multiline: true, hint: t('form.requirementsHint') })}
      {text('scope', { multiline: true, optional: true })}
      <div className="grid-2">
        {text('timeline', { optional: true })}
        {text('budget', { optional: true })}
      </div>
      <div className="grid-2">
        <Field id="field-language" label={t('form.language')} error={errors.language}>
          <select id="field-language" name="language" value={values.language} onChange={(e) => set('language', e.target.value)}>
            <option value="pt-BR">Português (BR)</option>
            <option value="en">English</option>
          </select>
        </Field>
        <Field id="field-template" label={t('form.template')} error={errors.template} optional>
          {templates.length > 0 ? (
            <select id="field-template" name="template" value={values.template} onChange={(e) => set('template', e.target.value)}>
              {templates.map((name) => (
                <option key={name}>{name}</option>
              ))}
            </select>
          ) : (
            <input id="field-template" name="template" value={values.template} onChange={(e) => set('template', e.target.value)} aria-invalid={errors.template ? true : undefined} aria-describedby={describedBy('field-template', false, errors.template)} />
          )}
        </Field>
      </div>
      <button type="submit" disabled={busy}>
        {busy ? t('form.submitting') : files.length > 0 ? t('form.submitDocuments') : t('form.submit')}
      </button>
    </form>
  );
}

function focusFirst(errors: Record<string, unknown>) {
  const first = Object.keys(errors)[0];
  if (first) setTimeout(() => document.getElementById(`field-${first}`)?.focus(), 0);
}
