'use client';
/** Sign in: with an e-mail and a password (a web session), with single sign-on when the gateway offers it, or with
 * an API token (checked with `GET /api/me` before it is kept). */
import { useEffect, useState, type FormEvent } from 'react';
import { ApiClient, ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import type { MessageKey } from '@/lib/messages';
import { SSO_ERRORS } from '@/lib/people-messages';
import { Alert, describedBy, Field } from './ui';

/** Why a single sign-on failed, in the page's words: the gateway sends the browser back with `?sso_error=<code>`. */
export function ssoErrorText(code: string, t: (key: MessageKey, values?: Record<string, string | number>) => string): string {
  const known = (SSO_ERRORS as readonly string[]).includes(code);
  return known ? t(`signin.ssoError.${code}` as MessageKey) : t('signin.ssoError.other', { code: code.slice(0, 100) });
}

export function SignIn() {
  const { t, apiUrl, signIn, signInWithSession, notice, describeError } = useApp();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [passwordError, setPasswordError] = useState<string | undefined>();
  const [sso, setSso] = useState(false);
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [ssoError, setSsoError] = useState<string | null>(null);

  useEffect(() => {
    // Read once, then taken off the address, so a reload or a bookmark does not show it again.
    const url = new URL(window.location.href);
    const code = url.searchParams.get('sso_error');
    if (!code) return;
    setSsoError(code);
    url.searchParams.delete('sso_error');
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  }, []);

  useEffect(() => {
    let current = true;
    new ApiClient({ baseUrl: apiUrl, token: null }).signInMethods().then(
      (methods) => current && setSso(methods.sso),
      () => undefined, // an older gateway, or none: no SSO button
    );
    return () => {
      current = false;
    };
  }, [apiUrl]);

  async function submitPassword(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setPasswordError(undefined);
    if (!email.trim() || !password) {
      setPasswordError(t('signin.credentialsRequired'));
      return;
    }
    setBusy(true);
    try {
      signInWithSession(await new ApiClient({ baseUrl: apiUrl, token: null }).passwordSignIn(email.trim(), password));
    } catch (caught) {
      if (caught instanceof ApiError && caught.kind === 'unauthorized') setPasswordError(t('signin.wrongPassword'));
      else if (caught instanceof ApiError && caught.status === 429) {
        setPasswordError(t('signin.throttled', { seconds: String(caught.problem.detail?.match(/\d+/)?.[0] ?? '60') }));
      } else setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

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

  const ssoUrl = `${apiUrl.replace(/\/+$/, '')}/api/auth/oidc/login?return_to=${encodeURIComponent(typeof window === 'undefined' ? '/' : window.location.href)}`;

  return (
    <section className="signin card" aria-labelledby="signin-title">
      <h1 id="signin-title">{t('signin.title')}</h1>
      {notice === 'expired' && <Alert kind="warning">{t('signin.expired')}</Alert>}
      {notice === 'signedOut' && <Alert kind="info">{t('signin.signedOut')}</Alert>}
      {error && <Alert kind="error">{error}</Alert>}
      {ssoError && (
        <Alert kind="error" title={t('signin.ssoError.title')}>
          {ssoErrorText(ssoError, t)}
        </Alert>
      )}
      <p>{t('signin.passwordIntro')}</p>
      <form onSubmit={submitPassword} noValidate aria-label={t('signin.passwordIntro')}>
        <Field id="email" label={t('signin.email')}>
          <input id="email" name="email" type="email" autoComplete="username" value={email} onChange={(event) => setEmail(event.target.value)} />
        </Field>
        <Field id="password" label={t('signin.password')} error={passwordError}>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            aria-invalid={passwordError ? true : undefined}
            aria-describedby={describedBy('password', false, passwordError)}
          />
        </Field>
        <div className="row">
          <button type="submit" disabled={busy}>
            {busy ? t('signin.checking') : t('signin.submit')}
          </button>
          {sso && (
            <a className="button button-secondary" href={ssoUrl}>
              {t('signin.sso')}
            </a>
          )}
        </div>
      </form>
      <details className="signin-token">
        <summary>{t('signin.withToken')}</summary>
        <p>{t('signin.intro')}</p>
        <form onSubmit={submit} noValidate>
          <Field id="token" label={t('signin.token')} error={fieldError}>
            <input
              id="token"
              name="token"
              type="password"
              autoComplete="off"
              value={token}
              onChange={(event) => setToken(event.target.value)}
              aria-invalid={fieldError ? true : undefined}
              aria-describedby={describedBy('token', false, fieldError)}
            />
          </Field>
          <button type="submit" disabled={busy}>
            {busy ? t('signin.checking') : t('signin.tokenSubmit')}
          </button>
        </form>
      </details>
    </section>
  );
}
