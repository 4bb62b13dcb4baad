'use client';
/** Accounts (admins): list them, create one, change a role, disable or enable one, end its sessions. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import type { UserAccount } from '@/lib/types';
import { Alert, Field, Loading } from './ui';

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
              </td>
            </tr>
          ))}
        </tbody>
      </table>
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
