import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderApp, withMe } from '@/test-utils';
import type { Principal } from '@/lib/types';
import { DeleteProposal } from './DeleteProposal';
import { Shell } from './Shell';

const push = vi.fn();

afterEach(() => {
  vi.unstubAllGlobals();
  push.mockReset();
});

const proposal = { id: 'p-1', client_name: 'Acme', owner: { id: 'u-owner', display_name: 'Olga' } };
const person = (id: string, role: 'viewer' | 'editor' | 'manager'): Principal => ({
  name: `${id}@example.com`,
  admin: false,
  role,
  via: 'session',
  user: { id, email: `${id}@example.com`, display_name: id, role, active: true, language: 'pt-BR', has_password: true },
});

describe('deleting a proposal', () => {
  it('asks first, naming the proposal, then deletes it and goes back to the list', async () => {
    const calls: string[] = [];
    vi.stubGlobal(
      'fetch',
      withMe(async (url, init) => {
        calls.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
        return init?.method === 'DELETE' ? new Response(null, { status: 204 }) : jsonResponse({}, 404);
      }, person('u-owner', 'editor')),
    );
    renderApp(
      <Shell title="Proposta">
        <DeleteProposal proposal={proposal} onDeleted={push} />
      </Shell>,
      { token: 'owner-token', locale: 'en' },
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Delete this proposal' }));
    const question = screen.getByRole('group', { name: /Delete the proposal for “Acme”\?/ });
    expect(question).toBeTruthy();
    await waitFor(() => expect(document.activeElement?.id).toBe('proposal-delete-cancel')); // nothing is deleted by a stray Enter
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(calls).not.toContain('DELETE /api/proposals/p-1');
    fireEvent.click(screen.getByRole('button', { name: 'Delete this proposal' }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes, delete' }));
    await waitFor(() => expect(calls).toContain('DELETE /api/proposals/p-1'));
    await waitFor(() => expect(push).toHaveBeenCalledOnce());
    expect(calls.filter((call) => call.startsWith('DELETE'))).toEqual(['DELETE /api/proposals/p-1']);
  });

  it('is not offered to a collaborator or a viewer, and words a refusal', async () => {
    vi.stubGlobal('fetch', withMe(() => jsonResponse({}, 404), person('u-other', 'editor')));
    renderApp(
      <Shell title="Proposta">
        <DeleteProposal proposal={proposal} onDeleted={push} />
      </Shell>,
      { token: 'other-token', locale: 'en' },
    );
    await screen.findByRole('main');
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Delete this proposal' })).toBeNull());
  });

  it('words the gateway refusing a deletion by someone who is not the owner', async () => {
    vi.stubGlobal(
      'fetch',
      withMe(async (_url, init) =>
        init?.method === 'DELETE'
          ? jsonResponse({ type: 'about:blank', title: 'Forbidden', status: 403, detail: 'no', code: 'not_the_owner' }, 403)
          : jsonResponse({}, 404),
      person('u-owner', 'manager')),
    );
    renderApp(
      <Shell title="Proposta">
        <DeleteProposal proposal={proposal} onDeleted={push} />
      </Shell>,
      { token: 'manager-token' },
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Excluir esta proposta' }));
    fireEvent.click(screen.getByRole('button', { name: 'Sim, excluir' }));
    expect(await screen.findByText('Só a dona ou o dono da proposta, gerentes e administradores a excluem.')).toBeTruthy();
    expect(push).not.toHaveBeenCalled();
  });
});
