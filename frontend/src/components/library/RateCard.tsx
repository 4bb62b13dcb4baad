'use client';
/** The rate card: roles with their current hourly rate and history. Admins add roles and rates; others read it. */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { principalName, useApp } from '@/lib/app-context';
import { LibraryApi, today, type Rate, type Role, type RoleInput } from '@/lib/library';
import { Alert, describedBy, Field, Loading } from '../ui';
import type { EditRequest } from './Catalogue';
import { EntryCollection } from './EntryCollection';
import { fieldErrorsOf, type FieldSpec } from './EntryForm';
import { useDescribeLibraryError, useFormatDay } from './format';

const DECIMAL = /^\d{1,12}([.,]\d{1,2})?$/;
const CURRENCY = /^[A-Z]{3}$/;

/** A rate as "R$ 350,00 por hora" in the interface's locale, from the API's exact decimal string. */
export function useFormatRate(): (rate: Rate) => string {
  const { t, formatMoney } = useApp();
  return (rate) => t('library.rates.perHour', { amount: formatMoney(rate.hourly_rate, rate.currency) });
}

export function RateCardTab({ editId, onEditHandled }: EditRequest) {
  const { t, principal } = useApp();
  const formatDay = useFormatDay();
  const formatRate = useFormatRate();
  const admin = Boolean(principal?.admin);
  const [open, setOpen] = useState<{ roleId: string; what: 'history' | 'add' } | null>(null);
  const [reloadKey, setReloadKey] = useState(0);
  const fields: FieldSpec[] = [
    { name: 'name', type: 'text', required: true },
    { name: 'description', type: 'textarea' },
    { name: 'owner', type: 'text', nullable: true, hint: t('library.ownerHint'), row: 'review' },
    { name: 'review_by', type: 'date', row: 'review' },
  ];
  const blank = (): RoleInput => ({ name: '', description: '', owner: principal ? principalName(principal) : '', review_by: null });
  const toggle = (roleId: string, what: 'history' | 'add') => setOpen((current) => (current?.roleId === roleId && current.what === what ? null : { roleId, what }));

  return (
    <div className="stack">
      {!admin && <Alert kind="info">{t('library.rates.readOnly')}</Alert>}
      <EntryCollection
        collection="roles"
        fields={fields}
        blank={blank}
        canWrite={admin}
        reloadKey={reloadKey}
        titleOf={(role: Role) => role.name}
        columns={[
          { header: t('library.field.name'), cell: (role: Role) => role.name },
          {
            header: t('library.rates.current'),
            cell: (role: Role) =>
              role.current_rate ? (
                <span data-testid="current-rate">
                  <span className="money">{formatRate(role.current_rate)}</span>{' '}
                  <span className="muted small">{t('library.rates.since', { date: formatDay(role.current_rate.valid_from) })}</span>
                </span>
              ) : (
                <span className="muted">{t('library.rates.none')}</span>
              ),
          },
          {
            header: t('library.rates.next'),
            cell: (role: Role) =>
              role.next_rate ? (
                <span data-testid="next-rate">
                  <span className="money">{formatRate(role.next_rate)}</span>{' '}
                  <span className="muted small">{t('library.rates.from', { date: formatDay(role.next_rate.valid_from) })}</span>
                </span>
              ) : (
                '—'
              ),
          },
          { header: t('library.field.owner'), cell: (role: Role) => role.owner },
        ]}
        rowActions={(role: Role) => (
          <>
            <button type="button" className="button-secondary button-small" aria-expanded={open?.roleId === role.id && open.what === 'history'} aria-label={`${t('library.rates.history')}: ${role.name}`} onClick={() => toggle(role.id, 'history')}>
              {t('library.rates.history')}
            </button>
            {admin && (
              <button type="button" className="button-secondary button-small" aria-expanded={open?.roleId === role.id && open.what === 'add'} aria-label={`${t('library.rates.add')}: ${role.name}`} onClick={() => toggle(role.id, 'add')}>
                {t('library.rates.add')}
              </button>
            )}
          </>
        )}
        rowPanel={(role: Role) =>
          open?.roleId !== role.id ? null : open.what === 'history' ? (
            <RateHistory role={role} />
          ) : (
            <AddRate
              role={role}
              onAdded={() => setReloadKey((key) => key + 1)}
            />
          )
        }
        editId={editId}
        onEditHandled={onEditHandled}
      />
    </div>
  );
}

function RateHistory({ role }: { role: Role }) {
  const { api, t } = useApp();
  const describe = useDescribeLibraryError();
  const formatDay = useFormatDay();
  const formatRate = useFormatRate();
  const library = useMemo(() => new LibraryApi(api), [api]);
  const [rates, setRates] = useState<Rate[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const currentId = role.current_rate?.id;
  const nextId = role.next_rate?.id;
  useEffect(() => {
    let current = true;
    // Asked again whenever the role's current or next rate changes (a rate added); the gateway lists them latest first.
    library.get('roles', role.id).then(
      (full) => {
        if (current) setRates(full.rates);
      },
      (caught: unknown) => {
        if (current) setError(describe(caught));
      },
    );
    return () => {
      current = false;
    };
  }, [library, role.id, currentId, nextId, describe]);
  const headingId = `library-rates-history-${role.id}`;
  if (error) return <Alert>{error}</Alert>;
  if (!rates) return <Loading />;
  return (
    <section aria-labelledby={headingId} className="rate-history">
      <h3 id={headingId}>{t('library.rates.historyOf', { name: role.name })}</h3>
      {rates.length === 0 ? (
        <p className="muted">{t('library.rates.noHistory')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('library.field.valid_from')}</th>
              <th scope="col">{t('library.field.hourly_rate')}</th>
            </tr>
          </thead>
          <tbody>
            {rates.map((rate) => (
              <tr key={rate.id}>
                <th scope="row">
                  {formatDay(rate.valid_from)}
                  {rate.id === currentId && <span className="badge badge-ready title-badge">{t('library.rates.currentBadge')}</span>}
                  {rate.id === nextId && <span className="badge badge-info title-badge">{t('library.rates.nextBadge')}</span>}
                </th>
                <td className="money">{formatRate(rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function AddRate({ role, onAdded }: { role: Role; onAdded: () => void }) {
  const { api, t, wordFieldError, formatMoney } = useApp();
  const describe = useDescribeLibraryError();
  const formatDay = useFormatDay();
  const library = useMemo(() => new LibraryApi(api), [api]);
  const [values, setValues] = useState({ hourly_rate: '', currency: role.current_rate?.currency ?? 'BRL', valid_from: today() });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const prefix = `library-rate-${role.id}`;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFormError(null);
    setDone(null);
    // The amount stays the exact text typed (a comma for the cents becomes a point): never a float.
    const hourlyRate = values.hourly_rate.trim().replace(',', '.');
    const currency = values.currency.trim().toUpperCase();
    const found: Record<string, string> = {};
    if (!DECIMAL.test(values.hourly_rate.trim()) || /^0+(\.0+)?$/.test(hourlyRate)) found['hourly_rate'] = t('library.rates.rateInvalid');
    if (!CURRENCY.test(currency)) found['currency'] = t('library.rates.currencyInvalid');
    if (!values.valid_from) found['valid_from'] = t('form.required');
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      // 201: a new rate; 200: the same rate from that date was there already (the gateway answers it unchanged).
      const { rate, created } = await library.addRate(role.id, { hourly_rate: hourlyRate, currency, valid_from: values.valid_from });
      const words = { amount: formatMoney(rate.hourly_rate, rate.currency), date: formatDay(rate.valid_from), name: role.name };
      setDone(t(created ? 'library.rates.added' : 'library.rates.exists', words));
      onAdded();
    } catch (caught) {
      if (caught instanceof ApiError && caught.kind === 'invalid') {
        const { fields, other } = fieldErrorsOf(caught, ['hourly_rate', 'currency', 'valid_from'], wordFieldError);
        setErrors(fields);
        setFormError(other.length || !Object.keys(fields).length ? [describe(caught), ...other].join(' ') : null);
      } else setFormError(describe(caught));
    } finally {
      setBusy(false);
    }
  }

  const input = (name: 'hourly_rate' | 'currency' | 'valid_from', hint?: string) => {
    const id = `${prefix}-${name}`;
    return (
      <Field id={id} label={t(`library.field.${name}`)} hint={hint} error={errors[name]}>
        <input
          id={id}
          name={name}
          type={name === 'valid_from' ? 'date' : 'text'}
          inputMode={name === 'hourly_rate' ? 'decimal' : undefined}
          maxLength={name === 'currency' ? 3 : undefined}
          className={name === 'currency' ? 'currency-input' : undefined}
          value={values[name]}
          aria-invalid={errors[name] ? true : undefined}
          aria-describedby={describedBy(id, Boolean(hint), errors[name])}
          onChange={(event) => setValues((current) => ({ ...current, [name]: event.target.value }))}
        />
      </Field>
    );
  };

  return (
    <form className="rate-form" onSubmit={submit} noValidate aria-labelledby={`${prefix}-title`}>
      <h3 id={`${prefix}-title`}>{t('library.rates.addFor', { name: role.name })}</h3>
      {formError && <Alert>{formError}</Alert>}
      {done && <Alert kind="success">{done}</Alert>}
      <div className="grid-3">
        {input('hourly_rate', t('library.rates.rateHint'))}
        {input('currency')}
        {input('valid_from')}
      </div>
      <button type="submit" disabled={busy}>
        {busy ? t('library.saving') : t('library.rates.add')}
      </button>
    </form>
  );
}
