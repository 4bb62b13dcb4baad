'use client';
/** Delete a proposal (its owner, managers and admins), after a confirmation that names it (`onDeleted` then leaves the page).
 * The gateway hides it from every list and read (a soft delete: its versions and PDFs stay for the retention rules). */
import { useState } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import type { Proposal } from '@/lib/types';
import { mayChooseCollaborators } from './ProposalPeople';
import { Alert, useFocusLater } from './ui';

export function DeleteProposal({ proposal, onDeleted }: { proposal: Pick<Proposal, 'id' | 'client_name' | 'owner'>; onDeleted: () => void }) {
  const { api, t, principal, describeError } = useApp();
  const focusLater = useFocusLater();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The same people who choose the collaborators: the owner (not a viewer), managers and admins.
  if (!mayChooseCollaborators(principal, proposal)) return null;

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await api.deleteProposal(proposal.id);
      onDeleted();
    } catch (caught) {
      const code = caught instanceof ApiError ? caught.problem.code : undefined;
      setError(code === 'not_the_owner' ? t('proposal.deleteNotOwner') : describeError(caught));
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="proposal-delete-title">
      <h2 id="proposal-delete-title">{t('proposal.deleteTitle')}</h2>
      {error && <Alert>{error}</Alert>}
      {!confirming ? (
        <button
          type="button"
          id="proposal-delete"
          className="button-secondary button-danger-outline"
          onClick={() => {
            setConfirming(true);
            focusLater('proposal-delete-cancel');
          }}
        >
          {t('proposal.delete')}
        </button>
      ) : (
        <div role="group" aria-labelledby="proposal-delete-question" className="confirm confirm-box">
          <p id="proposal-delete-question">{t('proposal.deleteConfirm', { name: proposal.client_name })}</p>
          <div className="row">
            <button type="button" className="button-danger" onClick={() => void remove()} disabled={busy}>
              {busy ? t('proposal.deleting') : t('proposal.deleteConfirmButton')}
            </button>
            <button
              type="button"
              id="proposal-delete-cancel"
              className="button-secondary"
              disabled={busy}
              onClick={() => {
                setConfirming(false);
                focusLater('proposal-delete');
              }}
            >
              {t('people.cancel')}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
