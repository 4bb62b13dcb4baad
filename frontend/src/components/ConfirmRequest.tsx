'use client';
/**
 * A proposal started from the client's documents (issue #16): while they are read, the request fields found in them
 * fill the form (each with where it was read); the person corrects and confirms, and only then is the first draft
 * written, with the documents' requirements in view.
 */
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import { RequirementsApi, reviewPending, stillReading, suggestedRequest, type ClientDocument } from '@/lib/requirements';
import type { Language, Proposal } from '@/lib/types';
import { Alert, describedBy, Field } from './ui';

const POLL_MS = 1500;
type Name = 'client_name' | 'industry' | 'requirements' | 'scope' | 'timeline' | 'budget';
const REQUIRED: Name[] = ['client_name', 'industry', 'requirements'];
const SUGGESTED: Array<'client_name' | 'requirements' | 'budget' | 'timeline'> = ['client_name', 'requirements', 'budget', 'timeline'];

export function ConfirmRequest({ proposal, onConfirmed }: { proposal: Proposal; onConfirmed: () => Promise<void> }) {
  const { api, t, describeError } = useApp();
  const documentsApi = useMemo(() => new RequirementsApi(api, proposal.id), [api, proposal.id]);
  const [documents, setDocuments] = useState<ClientDocument[]>([]);
  const [values, setValues] = useState<Record<Name, string>>({
    client_name: proposal.client_name,
    industry: proposal.industry,
    requirements: proposal.requirements,
    scope: proposal.scope ?? '',
    timeline: proposal.timeline ?? '',
    budget: proposal.budget ?? '',
  });
  const [sources, setSources] = useState<Partial<Record<Name, string>>>({});
  const [errors, setErrors] = useState<Partial<Record<Name, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const typed = useRef(new Set<Name>()); // a field the person typed in is never overwritten by a suggestion

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const docs = await documentsApi.documents();
        if (stopped) return;
        setDocuments(docs);
        const suggestion = suggestedRequest(docs);
        setValues((current) => {
          const next = { ...current };
          for (const name of SUGGESTED) {
            const found = suggestion[name];
            if (found && !typed.current.has(name) && !current[name].trim()) next[name] = found.value;
          }
          return next;
        });
        setSources(Object.fromEntries(SUGGESTED.filter((name) => suggestion[name]).map((name) => [name, suggestion[name]!.source])));
        if (stillReading(docs) || reviewPending(docs) || docs.length === 0) timer = setTimeout(() => void tick(), POLL_MS);
      } catch (failure) {
        if (!stopped) setFormError(describeError(failure));
      }
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [documentsApi, describeError]);

  const reading = stillReading(documents);
  const reviewing = !reading && reviewPending(documents);

  function set(name: Name, value: string) {
    typed.current.add(name);
    setValues((current) => ({ ...current, [name]: value }));
    if (errors[name]) setErrors((current) => ({ ...current, [name]: undefined }));
  }

  async function confirm(event: FormEvent) {
    event.preventDefault();
    setFormError(null);
    const missing: Partial<Record<Name, string>> = {};
    for (const name of REQUIRED) if (!values[name].trim()) missing[name] = t('form.required');
    if (Object.keys(missing).length) {
      setErrors(missing);
      document.getElementById(`confirm-${Object.keys(missing)[0]}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      await api.confirmProposal(proposal.id, {
        client_name: values.client_name.trim(),
        industry: values.industry.trim(),
        requirements: values.requirements.trim(),
        scope: values.scope.trim() || null,
        timeline: values.timeline.trim() || null,
        budget: values.budget.trim() || null,
        language: proposal.language as Language,
        template: proposal.template,
      });
      await onConfirmed();
    } catch (caught) {
      const code = caught instanceof ApiError ? caught.problem.code : undefined;
      if (code === 'documents_reading') setFormError(t('confirm.error.reading'));
      else if (code === 'not_awaiting') {
        setFormError(t('confirm.error.done'));
        await onConfirmed();
      } else if (caught instanceof ApiError && caught.kind === 'invalid') {
        setErrors(caught.fieldErrors() as Partial<Record<Name, string>>);
        setFormError(describeError(caught));
      } else setFormError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  const field = (name: Name, options: { multiline?: boolean; optional?: boolean } = {}) => {
    const id = `confirm-${name}`;
    const hint = sources[name] ? t('confirm.readFrom', { source: sources[name]! }) : undefined;
    const common = {
      id,
      name,
      value: values[name],
      'aria-invalid': errors[name] ? true : undefined,
      'aria-describedby': describedBy(id, Boolean(hint), errors[name]),
      'aria-required': options.optional ? undefined : true,
      onChange: (e: { target: { value: string } }) => set(name, e.target.value),
    } as const;
    return (
      <Field id={id} label={t(`form.${name}` as 'form.client_name')} error={errors[name]} optional={options.optional} hint={hint}>
        {options.multiline ? <textarea {...common} rows={name === 'requirements' ? 5 : 3} /> : <input {...common} />}
      </Field>
    );
  };

  return (
    <form className="card form confirm-request" onSubmit={confirm} noValidate aria-labelledby="confirm-title">
      <h2 id="confirm-title">{t('confirm.title')}</h2>
      <p>{t(documents.length === 0 ? 'confirm.introEmpty' : reading ? 'confirm.introReading' : 'confirm.intro')}</p>
      {formError && <Alert kind="error">{formError}</Alert>}
      {reviewing && (
        <Alert kind="info" id="confirm-reviewing" title={t('confirm.reviewRunningTitle')}>
          {t('confirm.reviewRunning')}
        </Alert>
      )}
      <div className="grid-2">
        {field('client_name')}
        {field('industry')}
      </div>
      {field('requirements', { multiline: true })}
      {field('scope', { multiline: true, optional: true })}
      <div className="grid-2">
        {field('timeline', { optional: true })}
        {field('budget', { optional: true })}
      </div>
      <button type="submit" disabled={busy || reading} aria-describedby={reading ? 'confirm-reading' : reviewing ? 'confirm-reviewing' : undefined}>
        {busy ? t('form.submitting') : t('confirm.submit')}
      </button>
      {reading && (
        <p className="muted" id="confirm-reading" role="status">
          {t('confirm.waiting')}
        </p>
      )}
    </form>
  );
}
