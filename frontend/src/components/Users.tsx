'use client';
/** Accounts (admins): list them, create one, invite someone, change a role, disable or enable one, set a password,
 * end its sessions. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import type { Invitation, UserAccount } from '@/lib/types';
import { Alert, Field, Loading, useFocusLater } from './ui';

const ROLES = ['viewer', 'editor', 'manager', 'admin'] as const;
type Role = (typeof ROLES)[number];

export function Users() {
  const { api, t, describeError, principal } = useApp();
  const [items, setItems] = useState<UserAccount[] | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'forbidden' | 'error'>('loading');
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [password, setPassword] = useState('');
  const [resetting, setResetting] = useState<UserAccount | null>(null);
  const focusLater = useFocusLater();

  const load = useCallback(async () => {
    if (principal && !principal.admin) {
      setState('forbidden');
      return;
    }
    try {
      setItems((await api.listUsers()).items);
      setState('ready');
    } catch (caught) {
      if (caught instanceof ApiError && caught.kind === 'forbidden') setState('forbidden');
      else {
        setNotice({ kind: 'error', text: describeError(caught) });
        setState('error');
      }
    }
  }, [api, describeError, principal]);

  useEffect(() => {
    void load();
  }, [load]);

  async function act(work: () => Promise<unknown>, done: string) {
    setNotice(null);
    try {
      await work();
      setNotice({ kind: 'success', text: done });
      await load();
    } catch (caught) {
      const code = caught instanceof ApiError ? caught.problem.code : undefined;
      const text = code === 'last_admin' ? t('users.lastAdmin') : code === 'email_taken' ? t('users.emailTaken') : describeError(caught);
      setNotice({ kind: 'error', text });
    }
  }

  async function create(event: FormEvent) {
    event.preventDefault();
    await act(
      () => api.createUser({ email: email.trim(), display_name: name.trim() || email.trim(), role, language: 'pt-BR', password: password || null }),
      t('users.created', { email: email.trim() }),
    );
    setEmail('');
    setName('');
    setPassword('');
  }

  if (state === 'loading') return <Loading />;
  if (state === 'forbidden') return <Alert kind="warning">{t('users.adminOnly')}</Alert>;
  return (
    <>
      {notice && <Alert kind={notice.kind}>{notice.text}</Alert>}
      <table className="table">
        <caption className="visually-hidden">{t('users.title')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('users.name')}</th>
            <th scope="col">{t('signin.email')}</th>
            <th scope="col">{t('users.role')}</th>
            <th scope="col">{t('users.status')}</th>
            <th scope="col">{t('users.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {(items ?? []).map((user) => (
            <tr key={user.id}>
              <td>{user.display_name}</td>
              <td>{user.email}</td>
              <td>
                <label className="visually-hidden" htmlFor={`role-${user.id}`}>
                  {t('users.roleOf', { name: user.display_name })}
                </label>
                <select
                  id={`role-${user.id}`}
                  value={user.role}
                  onChange={(event) => void act(() => api.changeUser(user.id, { role: event.target.value as Role }), t('users.saved'))}
                >
                  {ROLES.map((option) => (
                    <option key={option} value={option}>
                      {t(`users.role.${option}`)}
                    </option>
                  ))}
                </select>
              </td>
              <td>{user.active ? t('users.active') : t('users.disabled')}</td>
              <td className="row">
                <button
                  type="button"
                  className="button-secondary"
                  onClick={() => void act(() => api.changeUser(user.id, { active: !user.active }), t('users.saved'))}
                >
                  {user.active ? t('users.disable') : t('users.enable')}
                </button>
                <button type="button" className="button-secondary" onClick={() => void act(() => api.endSessions(user.id), t('users.sessionsEnded'))}>
                  {t('users.endSessions')}
                </button>
                <button
                  type="button"
                  className="button-secondary"
                  aria-expanded={resetting?.id === user.id}
                  onClick={() => {
                    setResetting(user);
                    focusLater('reset-password');
                  }}
                >
                  {t('users.password.set')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {resetting && (
        <PasswordReset
          user={resetting}
          onDone={(text) => {
            setResetting(null);
            setNotice({ kind: 'success', text });
          }}
          onCancel={() => setResetting(null)}
        />
      )}
      <InviteForm />
      <form onSubmit={create} className="card" aria-labelledby="new-user-title">
        <h2 id="new-user-title">{t('users.new')}</h2>
        <Field id="new-user-email" label={t('signin.email')}>
          <input id="new-user-email" type="email" required value={email} onChange={(event) => setEmail(event.target.value)} />
        </Field>
        <Field id="new-user-name" label={t('users.name')}>
          <input id="new-user-name" value={name} onChange={(event) => setName(event.target.value)} />
        </Field>
        <Field id="new-user-role" label={t('users.role')}>
          <select id="new-user-role" value={role} onChange={(event) => setRole(event.target.value as Role)}>
            {ROLES.map((option) => (
              <option key={option} value={option}>
                {t(`users.role.${option}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="new-user-password" label={t('signin.password')} hint={t('users.passwordHint')} optional>
          <input id="new-user-password" type="password" autoComplete="new-password" value={password} onChange={(event) => setPassword(event.target.value)} />
        </Field>
        <button type="submit">{t('users.create')}</button>
      </form>
    </>
  );
}

/** Set an account's password (an admin's reset): the rules are the gateway's; its refusal is shown as it words it. */
function PasswordReset({ user, onDone, onCancel }: { user: UserAccount; onDone: (text: string) => void; onCancel: () => void }) {
  const { api, t, describeError } = useApp();
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      await api.setUserPassword(user.id, password);
      onDone(t('users.password.done', { name: user.display_name }));
    } catch (caught) {
      const rejected = caught instanceof ApiError && caught.problem.code === 'password_rejected';
      setError(rejected ? t('users.password.rejected', { detail: caught.problem.detail ?? '' }) : describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="card" aria-labelledby="reset-password-title">
      <h2 id="reset-password-title">{t('users.password.of', { name: user.display_name })}</h2>
      <Field id="reset-password" label={t('signin.password')} hint={t('users.passwordHint')} error={error}>
        <input
          id="reset-password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'reset-password-hint reset-password-error' : 'reset-password-hint'}
        />
      </Field>
      <div className="row">
        <button type="submit" disabled={busy || !password}>
          {t('users.password.save')}
        </button>
        <button type="button" className="button-secondary" onClick={onCancel}>
          {t('people.cancel')}
        </button>
      </div>
    </form>
  );
}

/** Invite someone: the link is shown once, here, with whether the gateway e-mailed it. */
function InviteForm() {
  const { api, t, describeError, formatDate } = useApp();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [made, setMade] = useState<Invitation | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [busy, setBusy] = useState(false);
  const focusLater = useFocusLater();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setMade(null);
    setCopied(false);
    setBusy(true);
    try {
      setMade(await api.inviteUser({ email: email.trim(), display_name: name.trim() || email.trim().split('@')[0] || email.trim(), role }));
      setEmail('');
      setName('');
      focusLater('invitation-made');
    } catch (caught) {
      const code = caught instanceof ApiError ? caught.problem.code : undefined;
      setError(code === 'email_taken' ? t('users.emailTaken') : describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  async function copy(link: string) {
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
    } catch {
      setCopied(false); // no clipboard (an http page): the field can still be selected and copied by hand
    }
  }

  return (
    <form onSubmit={submit} className="card" aria-labelledby="invite-title">
      <h2 id="invite-title">{t('users.invite.title')}</h2>
      <p className="muted">{t('users.invite.intro')}</p>
      {error && <Alert kind="error">{error}</Alert>}
      {made && (
        <div className="alert alert-success" role="status" id="invitation-made" tabIndex={-1} data-testid="invitation">
          <p className="alert-title">{t('users.invite.linkTitle', { email: made.email })}</p>
          <Field id="invitation-link" label={t('users.invite.link')} hint={t('users.invite.once', { date: formatDate(made.expires_at) })}>
            <input id="invitation-link" readOnly value={made.link} onFocus={(event) => event.target.select()} aria-describedby="invitation-link-hint" />
          </Field>
          <p>{made.emailed ? t('users.invite.emailed') : t('users.invite.notEmailed')}</p>
          <button type="button" className="button-secondary" onClick={() => void copy(made.link)}>
            {t('users.invite.copy')}
          </button>
          {copied && <span className="muted"> {t('users.invite.copied')}</span>}
        </div>
      )}
      <Field id="invite-email" label={t('signin.email')}>
        <input id="invite-email" type="email" required value={email} onChange={(event) => setEmail(event.target.value)} />
      </Field>
      <Field id="invite-name" label={t('users.name')} optional>
        <input id="invite-name" value={name} onChange={(event) => setName(event.target.value)} />
      </Field>
      <Field id="invite-role" label={t('users.role')}>
        <select id="invite-role" value={role} onChange={(event) => setRole(event.target.value as Role)}>
          {ROLES.map((option) => (
            <option key={option} value={option}>
              {t(`users.role.${option}`)}
            </option>
          ))}
        </select>
      </Field>
      <button type="submit" disabled={busy || !email.trim()}>
        {t('users.invite.submit')}
      </button>
    </form>
  );
}
