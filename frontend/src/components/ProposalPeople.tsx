'use client';
/** A proposal's people: its owner and collaborators; its owner, managers and admins choose the collaborators. */
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import type { Principal, Proposal, UserAccount } from '@/lib/types';
import { Alert, Field } from './ui';

/** Whether this principal may choose the collaborators (the gateway checks it again: 403 `not_the_owner`). */
export function mayChooseCollaborators(principal: Principal | null, proposal: Pick<Proposal, 'owner'>): boolean {
  if (!principal) return false;
  if (principal.admin || principal.role === 'manager' || principal.role === 'admin') return true;
  return Boolean(principal.user && proposal.owner && principal.user.id === proposal.owner.id && principal.role !== 'viewer');
}

/** The ids typed one per line (or separated by commas or spaces), without repeats. */
export function parseIds(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).map((id) => id.trim()).filter(Boolean))];
}

export function ProposalPeople({ proposal, onChanged }: { proposal: Proposal; onChanged: () => Promise<void> | void }) {
  const { api, t, principal, describeError } = useApp();
  const collaborators = proposal.collaborators ?? [];
  // Only admins may list accounts: they see names and pick people; others see and type ids.
  const [users, setUsers] = useState<UserAccount[] | null>(null);
  const [editing, setEditing] = useState(false);
  const [chosen, setChosen] = useState<string[]>(collaborators);
  const [typed, setTyped] = useState('');
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const admin = Boolean(principal?.admin);
  const may = mayChooseCollaborators(principal, proposal);

  useEffect(() => {
    if (!admin) return;
    let current = true;
    api.listUsers().then(
      (list) => current && setUsers(list.items),
      () => undefined, // names are a nicety: the ids are shown without them
    );
    return () => {
      current = false;
    };
  }, [api, admin]);

  const nameOf = (id: string) => users?.find((user) => user.id === id)?.display_name ?? id;

  function open() {
    setChosen(collaborators);
    setTyped(collaborators.join('\n'));
    setNotice(null);
    setEditing(true);
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setNotice(null);
    try {
      await api.setCollaborators(proposal.id, users ? chosen : parseIds(typed));
      setEditing(false);
      setNotice({ kind: 'success', text: t('people.saved') });
      await onChanged();
    } catch (caught) {
      const code = caught instanceof ApiError ? caught.problem.code : undefined;
      const text = code === 'not_the_owner' ? t('people.notOwner') : code === 'collaborator_unknown' ? t('people.unknown') : describeError(caught);
      setNotice({ kind: 'error', text });
    } finally {
      setBusy(false);
    }
  }

  const candidates = (users ?? []).filter((user) => user.active && user.id !== proposal.owner?.id);
  return (
    <section className="card" aria-labelledby="people-title" data-testid="proposal-people">
      <h2 id="people-title">{t('people.title')}</h2>
      {notice && <Alert kind={notice.kind}>{notice.text}</Alert>}
      <dl>
        <dt>{t('people.owner')}</dt>
        <dd>{proposal.owner?.display_name ?? '—'}</dd>
        <dt>{t('people.collaborators')}</dt>
        <dd>
          {collaborators.length === 0 ? (
            <span className="muted">{t('people.noCollaborators')}</span>
          ) : (
            <ul>
              {collaborators.map((id) => (
                <li key={id}>{nameOf(id)}</li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
      {may && !editing && (
        <button type="button" className="button-secondary" onClick={open}>
          {t('people.edit')}
        </button>
      )}
      {editing && (
        <form onSubmit={save}>
          {users ? (
            <fieldset>
              <legend>{t('people.collaborators')}</legend>
              {candidates.map((user) => (
                <label key={user.id} className="check">
                  <input
                    type="checkbox"
                    checked={chosen.includes(user.id)}
                    onChange={(event) => setChosen(event.target.checked ? [...chosen, user.id] : chosen.filter((id) => id !== user.id))}
                  />{' '}
                  {user.display_name} <span className="muted">({user.email})</span>
                </label>
              ))}
            </fieldset>
          ) : (
            <Field id="collaborator-ids" label={t('people.idsLabel')} hint={t('people.idsHint')}>
              <textarea id="collaborator-ids" rows={3} value={typed} onChange={(event) => setTyped(event.target.value)} aria-describedby="collaborator-ids-hint" />
            </Field>
          )}
          <div className="row">
            <button type="submit" disabled={busy}>
              {t('people.save')}
            </button>
            <button type="button" className="button-secondary" onClick={() => setEditing(false)}>
              {t('people.cancel')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
