'use client';
/** API tokens (admins): list them, create one (its secret shown once), revoke one after a confirmation. */
import { Fragment, useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import type { ApiToken } from '@/lib/types';
import { SecretShownOnce } from './SecretShownOnce';
import { Alert, describedBy, Field, Loading, NotAvailable, useFocusLater } from './ui';

const MAX_DAYS = 3650;
const COLUMNS = 8;

type ListState = 'loading' | 'ready' | 'missing' | 'forbidden' | 'error';

export function ApiTokens() {
  const { api, t, describeError, principal } = useApp();
  const [state, setState] = useState<ListState>('loading');
  const [items, setItems] = useState<ApiToken[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [includeRevoked, setIncludeRevoked] = useState(false);
  // The secret lives here only while its box is on screen; dismissing the box drops it.
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [revoking, setRevoking] = useState(false);
  const focusLater = useFocusLater();

  const load = useCallback(async () => {
    // Known not to be an admin (`GET /api/me`): no need to ask the gateway for a 403.
    if (principal && !principal.admin) {
      setState('forbidden');
      return;
    }
    try {
      const result = await api.listTokens(includeRevoked);
      setItems(result.items);
      setState('ready');
    } catch (caught) {
      if (caught instanceof ApiError && caught.kind === 'forbidden') setState('forbidden');
      else if (caught instanceof ApiError && caught.kind === 'not_found') setState('missing');
      else {
        setLoadError(describeError(caught));
        setState('error');
      }
    }
  }, [api, includeRevoked, describeError, principal]);

  useEffect(() => {
    void load();
  }, [load]);

  if (state === 'loading') return <Loading />;
  if (state === 'missing') return <NotAvailable what={t('tokens.what')} />;
  if (state === 'forbidden') {
    return (
      <Alert kind="warning" title={t('tokens.adminOnlyTitle')}>
        {t('tokens.adminOnly')}
      </Alert>
    );
  }
  if (state === 'error') {
    return (
      <Alert
        action={
          <button type="button" onClick={() => void load()}>
            {t('common.retry')}
          </button>
        }
      >
        {loadError}
      </Alert>
    );
  }

  function onCreated(name: string, secret: string) {
    setCreated({ name, secret });
    setNotice(null);
    focusLater('token-secret-title');
    void load();
  }

  function dismissSecret() {
    setCreated(null);
    focusLater('field-token-name');
  }

  function askRevoke(id: string) {
    setConfirming(id);
    setNotice(null);
    focusLater(`token-revoke-cancel-${id}`);
  }

  function cancelRevoke(id: string) {
    setConfirming(null);
    focusLater(`token-revoke-${id}`);
  }

  async function revoke(token: ApiToken) {
    setRevoking(true);
    try {
      await api.revokeToken(token.id);
      setNotice({ kind: 'success', text: t('tokens.revokedDone', { name: token.name }) });
      await load();
    } catch (caught) {
      setNotice({ kind: 'error', text: describeError(caught) });
    } finally {
      setRevoking(false);
      setConfirming(null);
      focusLater('tokens-list-title');
    }
  }

  return (
    <div className="stack">
      <p className="muted">{t('tokens.intro')}</p>
      {created ? <NewTokenSecret name={created.name} secret={created.secret} onDismiss={dismissSecret} /> : <CreateTokenForm onCreated={onCreated} />}
      <section className="card" aria-labelledby="tokens-list-title">
        <div className="section-head">
          <h2 id="tokens-list-title" tabIndex={-1}>
            {t('tokens.listTitle')}
          </h2>
          <div className="checkbox-field">
            <input id="tokens-include-revoked" type="checkbox" checked={includeRevoked} onChange={(event) => setIncludeRevoked(event.target.checked)} />
            <label htmlFor="tokens-include-revoked">{t('tokens.showRevoked')}</label>
          </div>
        </div>
        {notice && <Alert kind={notice.kind}>{notice.text}</Alert>}
        {items.length === 0 ? (
          <p className="muted">{t('tokens.empty')}</p>
        ) : (
          <div className="table-wrap">
            <table className="tokens">
              <thead>
                <tr>
                  <th scope="col">{t('tokens.colName')}</th>
                  <th scope="col">{t('tokens.colPrefix')}</th>
                  <th scope="col">{t('tokens.colAccess')}</th>
                  <th scope="col">{t('tokens.colCreatedBy')}</th>
                  <th scope="col">{t('tokens.colCreatedAt')}</th>
                  <th scope="col">{t('tokens.colExpires')}</th>
                  <th scope="col">{t('tokens.colLastUsed')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('tokens.colActions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((token) => (
                  <Fragment key={token.id}>
                    <TokenRow token={token} confirming={confirming === token.id} onRevoke={() => askRevoke(token.id)} />
                    {confirming === token.id && (
                      <tr className="confirm-row">
                        <td colSpan={COLUMNS}>
                          <div role="group" aria-labelledby={`token-revoke-question-${token.id}`} className="confirm">
                            <p id={`token-revoke-question-${token.id}`}>{t('tokens.confirmRevoke', { name: token.name })}</p>
                            <div className="row">
                              <button type="button" className="button-danger" onClick={() => void revoke(token)} disabled={revoking}>
                                {revoking ? t('tokens.revoking') : t('tokens.confirm')}
                              </button>
                              <button type="button" id={`token-revoke-cancel-${token.id}`} className="button-secondary" onClick={() => cancelRevoke(token.id)} disabled={revoking}>
                                {t('common.cancel')}
                              </button>
                            </div>
                          </div>
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}

function TokenRow({ token, confirming, onRevoke }: { token: ApiToken; confirming: boolean; onRevoke: () => void }) {
  const { t, formatDate } = useApp();
  const expired = !token.revoked_at && token.expires_at !== null && new Date(token.expires_at).getTime() <= Date.now();
  return (
    <tr data-token={token.name} className={token.revoked_at || expired ? 'token-inactive' : undefined}>
      <th scope="row">
        <span className="token-name">{token.name}</span>
        {token.revoked_at && <span className="badge badge-failed">{t('tokens.revokedBadge')}</span>}
        {expired && <span className="badge badge-queued">{t('tokens.expired')}</span>}
      </th>
      <td>
        <code>{token.prefix}…</code>
      </td>
      <td>{token.admin ? <span className="badge badge-info">{t('tokens.admin')}</span> : t('tokens.standard')}</td>
      <td className="token-creator">{token.created_by}</td>
      <td>{formatDate(token.created_at)}</td>
      <td>{token.expires_at ? formatDate(token.expires_at) : t('tokens.neverExpires')}</td>
      <td>{token.last_used_at ? formatDate(token.last_used_at) : t('tokens.neverUsed')}</td>
      <td className="token-actions">
        {token.revoked_at ? (
          <span className="muted small">{t('tokens.revokedAt', { date: formatDate(token.revoked_at) })}</span>
        ) : (
          <button type="button" id={`token-revoke-${token.id}`} className="button-secondary" onClick={onRevoke} aria-expanded={confirming} aria-label={`${t('tokens.revoke')}: ${token.name}`}>
            {t('tokens.revoke')}
          </button>
        )}
      </td>
    </tr>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: (name: string, secret: string) => void }) {
  const { api, t, describeError, wordFieldError } = useApp();
  const [name, setName] = useState('');
  const [admin, setAdmin] = useState(false);
  const [days, setDays] = useState('');
  const [errors, setErrors] = useState<{ name?: string; expires_in_days?: string }>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFormError(null);
    const found: typeof errors = {};
    if (!name.trim()) found.name = t('form.required');
    const dayText = days.trim();
    const expiresInDays = dayText === '' ? null : Number(dayText);
    if (expiresInDays !== null && !(Number.isInteger(expiresInDays) && expiresInDays >= 1 && expiresInDays <= MAX_DAYS)) found.expires_in_days = t('tokens.daysInvalid');
    setErrors(found);
    if (found.name || found.expires_in_days) {
      focusField(found.name ? 'name' : 'expires_in_days');
      return;
    }
    setBusy(true);
    try {
      const token = await api.createToken({ name: name.trim(), admin, expires_in_days: expiresInDays });
      onCreated(token.name, token.token);
    } catch (caught) {
      if (caught instanceof ApiError && caught.kind === 'conflict') {
        setErrors({ name: caught.problem.detail || t('tokens.nameTaken') });
        focusField('name');
      } else if (caught instanceof ApiError && caught.kind === 'invalid') {
        const fields = caught.fieldErrors(wordFieldError);
        const known = { name: fields['name'], expires_in_days: fields['expires_in_days'] };
        setErrors(known);
        if (known.name || known.expires_in_days) focusField(known.name ? 'name' : 'expires_in_days');
        else setFormError(describeError(caught));
      } else setFormError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="token-create-title">
      <h2 id="token-create-title">{t('tokens.create')}</h2>
      {formError && <Alert>{formError}</Alert>}
      <form onSubmit={submit} noValidate className="token-form">
        <div className="grid-2">
          <Field id="field-token-name" label={t('tokens.name')} hint={t('tokens.nameHint')} error={errors.name}>
            <input
              id="field-token-name"
              name="name"
              value={name}
              maxLength={100}
              autoComplete="off"
              onChange={(event) => {
                setName(event.target.value);
                if (errors.name) setErrors((current) => ({ ...current, name: undefined }));
              }}
              aria-invalid={errors.name ? true : undefined}
              aria-describedby={describedBy('field-token-name', true, errors.name)}
            />
          </Field>
          <Field id="field-token-expires_in_days" label={t('tokens.expiresInDays')} hint={t('tokens.expiresHint')} error={errors.expires_in_days} optional>
            <input
              id="field-token-expires_in_days"
              name="expires_in_days"
              type="number"
              inputMode="numeric"
              min={1}
              max={MAX_DAYS}
              step={1}
              value={days}
              onChange={(event) => {
                setDays(event.target.value);
                if (errors.expires_in_days) setErrors((current) => ({ ...current, expires_in_days: undefined }));
              }}
              aria-invalid={errors.expires_in_days ? true : undefined}
              aria-describedby={describedBy('field-token-expires_in_days', true, errors.expires_in_days)}
            />
          </Field>
        </div>
        <div className="checkbox-field field">
          <input id="field-token-admin" name="admin" type="checkbox" checked={admin} onChange={(event) => setAdmin(event.target.checked)} aria-describedby="field-token-admin-hint" />
          <label htmlFor="field-token-admin">{t('tokens.adminLabel')}</label>
          <p className="hint" id="field-token-admin-hint">
            {t('tokens.adminHint')}
          </p>
        </div>
        <button type="submit" disabled={busy}>
          {busy ? t('tokens.creating') : t('tokens.submit')}
        </button>
      </form>
    </section>
  );
}

function focusField(name: 'name' | 'expires_in_days') {
  setTimeout(() => document.getElementById(`field-token-${name}`)?.focus(), 0);
}

/** The new token's secret, once: copy it, then dismiss the box (which forgets the secret). */
function NewTokenSecret({ name, secret, onDismiss }: { name: string; secret: string; onDismiss: () => void }) {
  const { t } = useApp();
  return (
    <SecretShownOnce
      id="token-secret"
      testId="new-token"
      title={t('tokens.createdTitle', { name })}
      warning={t('tokens.createdWarning')}
      label={t('tokens.secret')}
      secret={secret}
      copied={t('tokens.copied')}
      copyFailed={t('tokens.copyFailed')}
      dismiss={t('tokens.dismiss')}
      onDismiss={onDismiss}
    />
  );
}
