'use client';
/**
 * One form for every kind of library entry, described by its fields: text, long text, lists (one item per line),
 * numbers, dates, yes/no and choices. Required fields are checked here; the gateway's 422 field errors appear next
 * to their fields in the interface's language.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, type FieldProblem } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import type { MessageKey } from '@/lib/messages';
import { useDescribeLibraryError } from './format';
import { Alert, describedBy, Field } from '../ui';

export type FieldType = 'text' | 'textarea' | 'list' | 'number' | 'date' | 'checkbox' | 'select';

export interface FieldSpec {
  name: string;
  type: FieldType;
  required?: boolean;
  /** For `select`: the choices, in order; a choice with value '' stands for null. */
  options?: Array<{ value: string; label: string }>;
  hint?: string;
  /** Fields with the same `row` sit side by side. */
  row?: string;
  /** For `text`: left empty, the field is sent as null (the gateway then fills it in, e.g. `owner`: the caller). */
  nullable?: boolean;
}

export type FormValues = Record<string, string | boolean>;

/** The form's values for an entry (or a blank one): lists one item per line, null as ''. */
export function toFormValues(entry: Record<string, unknown>, fields: FieldSpec[]): FormValues {
  const values: FormValues = {};
  for (const field of fields) {
    const value = entry[field.name];
    if (field.type === 'checkbox') values[field.name] = Boolean(value);
    else if (field.type === 'list') values[field.name] = Array.isArray(value) ? value.join('\n') : '';
    else values[field.name] = value === null || value === undefined ? '' : String(value);
  }
  return values;
}

/** What the API takes for the form's values: lists split into lines, numbers as numbers, empty optional values null. */
export function toInput(values: FormValues, fields: FieldSpec[]): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const field of fields) {
    const value = values[field.name];
    if (field.type === 'checkbox') {
      input[field.name] = Boolean(value);
      continue;
    }
    const text = typeof value === 'string' ? value.trim() : '';
    if (field.type === 'list') input[field.name] = text ? text.split('\n').map((line) => line.trim()).filter(Boolean) : [];
    else if (field.type === 'number') input[field.name] = text === '' ? null : Number(text.replace(',', '.'));
    else if (field.type === 'date' || field.type === 'select' || field.nullable) input[field.name] = text === '' ? null : text;
    else input[field.name] = text;
  }
  return input;
}

/**
 * The gateway's field errors by the form's field names (a list item's error, "skills.2", goes to "skills"), worded by
 * `word`; the errors of fields the form does not have are returned apart.
 */
export function fieldErrorsOf(error: ApiError, names: readonly string[], word: (item: FieldProblem) => string): { fields: Record<string, string>; other: string[] } {
  const fields: Record<string, string> = {};
  const other: string[] = [];
  for (const item of error.problem.errors ?? []) {
    const name = item.field.split('.').find((part) => names.includes(part));
    const message = word(item);
    if (name) fields[name] = fields[name] ? `${fields[name]}; ${message}` : message;
    else other.push(`${item.field}: ${message}`);
  }
  return { fields, other };
}

export function EntryForm({
  idPrefix,
  title,
  fields,
  initial,
  submitLabel,
  onSubmit,
  onCancel,
  children,
}: {
  idPrefix: string;
  title: string;
  fields: FieldSpec[];
  initial: FormValues;
  submitLabel?: string;
  /** Sends the input; throw the ApiError to show it. */
  onSubmit: (input: Record<string, unknown>) => Promise<void>;
  onCancel?: () => void;
  children?: ReactNode;
}) {
  const { t, wordFieldError } = useApp();
  const describe = useDescribeLibraryError();
  const [values, setValues] = useState<FormValues>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const names = fields.map((field) => field.name);
  const fieldId = (name: string) => `${idPrefix}-${name}`;

  function set(name: string, value: string | boolean) {
    setValues((current) => ({ ...current, [name]: value }));
    if (errors[name]) setErrors((current) => ({ ...current, [name]: '' }));
  }

  function focusFirst(found: Record<string, string>) {
    const first = names.find((name) => found[name]);
    if (first) setTimeout(() => document.getElementById(fieldId(first))?.focus(), 0);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFormError(null);
    const missing: Record<string, string> = {};
    for (const field of fields) {
      const value = values[field.name];
      if (field.required && typeof value === 'string' && !value.trim()) missing[field.name] = t('form.required');
    }
    if (Object.keys(missing).length) {
      setErrors(missing);
      focusFirst(missing);
      return;
    }
    setBusy(true);
    try {
      await onSubmit(toInput(values, fields));
    } catch (caught) {
      if (caught instanceof ApiError && caught.kind === 'invalid') {
        const { fields: found, other } = fieldErrorsOf(caught, names, wordFieldError);
        setErrors(found);
        setFormError(other.length || !Object.keys(found).length ? [describe(caught), ...other].join(' ') : t('library.error.fields'));
        focusFirst(found);
      } else {
        setFormError(describe(caught));
      }
    } finally {
      setBusy(false);
    }
  }

  const rows: FieldSpec[][] = [];
  for (const field of fields) {
    const last = rows[rows.length - 1];
    if (field.row && last && last[0]?.row === field.row) last.push(field);
    else rows.push([field]);
  }

  const control = (field: FieldSpec) => {
    const id = fieldId(field.name);
    const error = errors[field.name] || undefined;
    const label = t(`library.field.${field.name}` as MessageKey);
    const hint = field.type === 'list' ? [field.hint, t('library.listHint')].filter(Boolean).join(' ') : field.hint;
    const value = values[field.name];
    const common = {
      id,
      name: field.name,
      'aria-invalid': error ? true : undefined,
      'aria-describedby': describedBy(id, Boolean(hint), error),
      'aria-required': field.required ? true : undefined,
    } as const;
    if (field.type === 'checkbox') {
      return (
        <div className="checkbox-field field" key={field.name}>
          <input {...common} type="checkbox" checked={Boolean(value)} onChange={(event) => set(field.name, event.target.checked)} />
          <label htmlFor={id}>{label}</label>
          {error && (
            <p className="field-error" id={`${id}-error`}>
              {error}
            </p>
          )}
        </div>
      );
    }
    const text = typeof value === 'string' ? value : '';
    let input: ReactNode;
    if (field.type === 'textarea' || field.type === 'list') {
      input = <textarea {...common} rows={field.type === 'list' ? 3 : 4} value={text} onChange={(event) => set(field.name, event.target.value)} />;
    } else if (field.type === 'select') {
      input = (
        <select {...common} value={text} onChange={(event) => set(field.name, event.target.value)}>
          {(field.options ?? []).map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      );
    } else {
      input = (
        <input
          {...common}
          type={field.type === 'date' ? 'date' : 'text'}
          inputMode={field.type === 'number' ? 'numeric' : undefined}
          value={text}
          onChange={(event) => set(field.name, event.target.value)}
        />
      );
    }
    return (
      <Field key={field.name} id={id} label={label} hint={hint} error={error} optional={!field.required && field.type !== 'select'}>
        {input}
      </Field>
    );
  };

  return (
    <form className="card form library-form" onSubmit={submit} noValidate aria-labelledby={`${idPrefix}-title`}>
      <h3 id={`${idPrefix}-title`} tabIndex={-1}>
        {title}
      </h3>
      {children}
      {formError && <Alert>{formError}</Alert>}
      {rows.map((row) =>
        row.length > 1 ? (
          <div className="grid-2" key={row.map((field) => field.name).join('+')}>
            {row.map(control)}
          </div>
        ) : (
          row.map(control)
        ),
      )}
      <div className="row">
        <button type="submit" disabled={busy}>
          {busy ? t('library.saving') : (submitLabel ?? t('common.save'))}
        </button>
        {onCancel && (
          <button type="button" className="button-secondary" onClick={onCancel} disabled={busy}>
            {t('common.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
