'use client';
/** Accept an invitation: the secret is in the link's fragment (never sent to a server by the browser); the person
 * chooses a password, and is signed in. */
import { useRouter } from 'next/navigation';
import { useEffect, useState, type FormEvent } from 'react';
import { ApiClient, ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import { Alert, describedBy, Field } from './ui';

export function AcceptInvitation() {
  const { t, apiUrl, signInWithSession, describeError } = useApp();
  const router = useRouter();
  const [secret, setSecret] = useState('');
  const [password, setPassword] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => setSecret(window.location.hash.replace(/^#/, '')), []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setFieldError(undefined);
    setBusy(true);
    try {
      const principal = await new ApiClient({ baseUrl: apiUrl, token: null }).json<Parameters<typeof signInWithSession>[0]>(
        '/api/auth/invitations/accept',
        { method: 'POST', body: JSON.stringify({ token: secret, password }) },
      );
      signInWithSession(principal);
      router.replace('/proposals');
    } catch (caught) {
      const code = caught instanceof ApiError ? caught.problem.code : undefined;
      if (code === 'password_rejected' && caught instanceof ApiError) setFieldError(caught.problem.detail ?? t('invite.weak'));
      else if (code === 'invitation_invalid') setError(t('invite.invalid'));
      else setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="signin card" aria-labelledby="invite-title">
      <h1 id="invite-title">{t('invite.title')}</h1>
      <p>{t('invite.intro')}</p>
      {error && <Alert kind="error">{error}</Alert>}
      <form onSubmit={submit} noValidate>
        <Field id="invite-password" label={t('signin.password')} hint={t('invite.rules')} error={fieldError}>
          <input
            id="invite-password"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            aria-invalid={fieldError ? true : undefined}
            aria-describedby={describedBy('invite-password', true, fieldError)}
          />
        </Field>
        <button type="submit" disabled={busy || !secret}>
          {t('invite.submit')}
        </button>
      </form>
    </section>
  );
}
