'use client';
/** Sign in with an API token: checked with `GET /api/me` before it is kept, with who it is, for the session. */
import { useState, type FormEvent } from 'react';
import { ApiClient, ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import { Alert, describedBy, Field } from './ui';

export function SignIn() {
  const { t, apiUrl, signIn, notice, describeError } = useApp();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const value = token.trim();
    setError(null);
    setFieldError(undefined);
    if (!value) {
      setFieldError(t('signin.required'));
      return;
    }
    setBusy(true);
    try {
      const principal = await new ApiClient({ baseUrl: apiUrl, token: value }).me();
      signIn(value, principal);
    } catch (caught) {
      if (caught instanceof ApiError && caught.kind === 'unauthorized') setFieldError(t('signin.wrong'));
      else setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="signin card" aria-labelledby="signin-title">
      <h1 id="signin-title">{t('signin.title')}</h1>
      <p>{t('signin.intro')}</p>
      {notice === 'expired' && <Alert kind="warning">{t('signin.expired')}</Alert>}
      {notice === 'signedOut' && <Alert kind="info">{t('signin.signedOut')}</Alert>}
      {error && <Alert kind="error">{error}</Alert>}
      <form onSubmit={submit} noValidate>
        <Field id="token" label={t('signin.token')} error={fieldError}>
          <input
            id="token"
            name="token"
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(event) => setToken(event.target.value)}
            aria-invalid={fieldError ? true : undefined}
            aria-describedby={describedBy('token', false, fieldError)}
            autoFocus
          />
        </Field>
        <button type="submit" disabled={busy}>
          {busy ? t('signin.checking') : t('signin.submit')}
        </button>
      </form>
    </section>
  );
}
