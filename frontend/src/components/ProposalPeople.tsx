'use client';
/** A proposal's people: its owner and collaborators; its owner, managers and admins choose the collaborators. */
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import type { DirectoryPerson, Principal, Proposal } from '@/lib/types';
import { CollaboratorPicker } from './CollaboratorPicker';
import { Alert } from './ui';

/** Whether this principal may choose the collaborators (the gateway checks it again: 403 `not_the_owner`). */
export function mayChooseCollaborators(principal: Principal | null, proposal: Pick<Proposal, 'owner'>): boolean {
  if (!principal) return false;
  if (principal.admin || principal.role === 'manager' || principal.role === 'admin') return true;
  return Boolean(principal.user && proposal.owner && principal.user.id === proposal.owner.id && principal.role !== 'viewer');
}

export function ProposalPeople({ proposal, onChanged }: { proposal: Proposal; onChanged: () => Promise<void> | void }) {
  const { api, t, principal, describeError } = useApp();
  const collaborators = proposal.collaborators ?? [];
  const key = collaborators.join(',');
  // Names from the directory (anyone signed in may read it); an id that has none (a disabled account) is shown as is.
  const [people, setPeople] = useState<DirectoryPerson[]>([]);
  const [editing, setEditing] = useState(false);
  const [chosen, setChosen] = useState<DirectoryPerson[]>([]);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const may = mayChooseCollaborators(principal, proposal);

  useEffect(() => {
    const ids = key ? key.split(',') : [];
    if (ids.length === 0) return;
    let current = true;
    api.userDirectory(null, { ids, limit: 50 }).then(
      (answer) => current && setPeople(answer.items),
      () => undefined, // names are a nicety: the ids are shown without them
    );
    return () => {
      current = false;
    };
  }, [api, key]);

  const personOf = (id: string): DirectoryPerson => people.find((person) => person.id === id) ?? { id, display_name: id, email: '' };

  function open() {
    setChosen(collaborators.map(personOf));
    setNotice(null);
    setEditing(true);
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setNotice(null);
    try {
      await api.setCollaborators(
        proposal.id,
        chosen.map((person) => person.id),
      );
      setPeople((known) => [...known.filter((person) => !chosen.some((other) => other.id === person.id)), ...chosen]);
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
                <li key={id}>{personOf(id).display_name}</li>
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
          <CollaboratorPicker chosen={chosen} onChange={setChosen} ownerId={proposal.owner?.id} />
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
