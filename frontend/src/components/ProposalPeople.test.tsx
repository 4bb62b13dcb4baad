import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderApp, withMe } from '@/test-utils';
import type { Principal, Proposal } from '@/lib/types';
import { mayChooseCollaborators, parseIds, ProposalPeople } from './ProposalPeople';
import { Shell } from './Shell';

afterEach(() => vi.unstubAllGlobals());

const OWNER = { id: 'u-owner', display_name: 'Olga' };
const account = (id: string, display_name: string, role = 'editor', active = true) => ({
  id,
  email: `${display_name.toLowerCase()}@example.com`,
  display_name,
  role,
  active,
  language: 'pt-BR',
  has_password: true,
});
const proposal = (collaborators: string[]) => ({ id: 'p-1', owner: OWNER, collaborators }) as unknown as Proposal;
const person = (id: string, role: 'viewer' | 'editor' | 'manager' | 'admin'): Principal => ({
  name: `${id}@example.com`,
  admin: role === 'admin',
  role,
  via: 'session',
  user: account(id, id, role) as Principal['user'],
});

describe('who chooses collaborators', () => {
  it('is the owner, a manager or an admin, never a viewer or another editor', () => {
    expect(mayChooseCollaborators(person('u-owner', 'editor'), proposal([]))).toBe(true);
    expect(mayChooseCollaborators(person('u-other', 'editor'), proposal([]))).toBe(false);
    expect(mayChooseCollaborators(person('u-other', 'manager'), proposal([]))).toBe(true);
    expect(mayChooseCollaborators(person('u-other', 'admin'), proposal([]))).toBe(true);
    expect(mayChooseCollaborators(person('u-owner', 'viewer'), proposal([]))).toBe(false);
    expect(mayChooseCollaborators(null, proposal([]))).toBe(false);
  });

  it('reads typed ids, one per line or separated by commas, without repeats', () => {
    expect(parseIds(' a-1\n\nb-2, a-1 ;c-3 ')).toEqual(['a-1', 'b-2', 'c-3']);
  });
});

describe('the people panel', () => {
  it('shows the owner and collaborators by name to an admin, who picks them from the accounts', async () => {
    const bodies: unknown[] = [];
    const changed = vi.fn();
    const fetchMock = withMe(async (url, init) => {
      const path = new URL(url).pathname;
      if (path === '/api/users') return jsonResponse({ items: [account('u-owner', 'Olga'), account('u-ana', 'Ana'), account('u-rui', 'Rui'), account('u-old', 'Velho', 'editor', false)] });
      if (path === '/api/proposals/p-1/collaborators' && init?.method === 'PUT') {
        bodies.push(JSON.parse(String(init.body)));
        return jsonResponse({});
      }
      return jsonResponse({}, 404);
    });
    vi.stubGlobal('fetch', fetchMock);
    renderApp(
      <Shell title="Proposta">
        <ProposalPeople proposal={proposal(['u-ana'])} onChanged={changed} />
      </Shell>,
      { token: 'admin-token' },
    );
    expect(await screen.findByText('Ana')).toBeTruthy();
    expect(screen.getByText('Olga')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Escolher colaboradores' }));
    expect(screen.queryByLabelText(/Olga/)).toBeNull(); // the owner is not offered
    expect(screen.queryByLabelText(/Velho/)).toBeNull(); // nor a disabled account
    fireEvent.click(screen.getByLabelText(/Ana/));
    fireEvent.click(screen.getByLabelText(/Rui/));
    fireEvent.click(screen.getByRole('button', { name: 'Salvar colaboradores' }));
    expect(await screen.findByText('Colaboradores salvos.')).toBeTruthy();
    expect(bodies).toEqual([{ user_ids: ['u-rui'] }]);
    expect(changed).toHaveBeenCalledOnce();
  });

  it('lets an owner who is an editor type ids, and words an unknown person', async () => {
    const fetchMock = withMe(async (url, init) => {
      const path = new URL(url).pathname;
      if (path === '/api/proposals/p-1/collaborators' && init?.method === 'PUT') {
        return jsonResponse({ type: 'about:blank', title: 'Unprocessable', status: 422, detail: 'no', code: 'collaborator_unknown' }, 422);
      }
      return jsonResponse({}, 404);
    }, person('u-owner', 'editor'));
    vi.stubGlobal('fetch', fetchMock);
    renderApp(
      <Shell title="Proposta">
        <ProposalPeople proposal={proposal([])} onChanged={() => undefined} />
      </Shell>,
      { token: 'owner-token' },
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Escolher colaboradores' }));
    fireEvent.change(screen.getByLabelText('Ids dos colaboradores'), { target: { value: 'u-x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Salvar colaboradores' }));
    expect(await screen.findByText('Uma das pessoas não é um usuário ativo.')).toBeTruthy();
    expect(fetchMock.mock.calls.some(([url]) => new URL(String(url)).pathname === '/api/users')).toBe(false);
  });

  it('offers no change to an editor who is not the owner', async () => {
    vi.stubGlobal('fetch', withMe(() => jsonResponse({}, 404), person('u-other', 'editor')));
    renderApp(
      <Shell title="Proposta">
        <ProposalPeople proposal={proposal([])} onChanged={() => undefined} />
      </Shell>,
      { token: 'other-token' },
    );
    expect(await screen.findByText(/Ninguém além da dona ou do dono/)).toBeTruthy();
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Escolher colaboradores' })).toBeNull());
  });
});
