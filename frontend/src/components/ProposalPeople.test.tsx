import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderApp, withMe } from '@/test-utils';
import type { Principal, Proposal } from '@/lib/types';
import { mayChooseCollaborators, ProposalPeople } from './ProposalPeople';
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

});

describe('the people panel', () => {
  it('names the collaborators from the directory, and lets an editor who owns it pick people by typing', async () => {
    const bodies: unknown[] = [];
    const searches: string[] = [];
    const changed = vi.fn();
    const directory = [account('u-owner', 'Olga'), account('u-ana', 'Ana'), account('u-rui', 'Rui'), account('u-anita', 'Anita')];
    const fetchMock = withMe(async (url, init) => {
      const address = new URL(url);
      if (address.pathname === '/api/users/directory') {
        const ids = address.searchParams.getAll('ids');
        const q = (address.searchParams.get('q') ?? '').toLowerCase();
        if (q) searches.push(q);
        const items = ids.length ? directory.filter((user) => ids.includes(user.id)) : directory.filter((user) => user.display_name.toLowerCase().includes(q));
        return jsonResponse({ items: items.map(({ id, email, display_name }) => ({ id, email, display_name })) });
      }
      if (address.pathname === '/api/proposals/p-1/collaborators' && init?.method === 'PUT') {
        bodies.push(JSON.parse(String(init.body)));
        return jsonResponse({});
      }
      return jsonResponse({}, 404);
    }, person('u-owner', 'editor'));
    vi.stubGlobal('fetch', fetchMock);
    renderApp(
      <Shell title="Proposta">
        <ProposalPeople proposal={proposal(['u-rui'])} onChanged={changed} />
      </Shell>,
      { token: 'owner-token' },
    );
    expect(await screen.findByText('Rui')).toBeTruthy(); // named, not shown as its id
    fireEvent.click(screen.getByRole('button', { name: 'Escolher colaboradores' }));
    const box = screen.getByRole('combobox', { name: 'Adicionar colaborador' });
    fireEvent.change(box, { target: { value: 'a' } });
    const list = await screen.findByRole('listbox');
    // Olga owns it, Rui is chosen already: neither is offered.
    expect(within(list).getAllByRole('option').map((option) => option.textContent)).toEqual(['Ana ana@example.com', 'Anita anita@example.com']);
    expect(box.getAttribute('aria-expanded')).toBe('true');
    expect(await screen.findByText('Pessoas encontradas: 2. Use as setas para escolher.')).toBeTruthy();
    fireEvent.keyDown(box, { key: 'ArrowDown' });
    fireEvent.keyDown(box, { key: 'ArrowDown' });
    expect(box.getAttribute('aria-activedescendant')).toMatch(/u-anita$/);
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(box.getAttribute('aria-expanded')).toBe('false');
    expect(screen.getByText('Anita (anita@example.com)')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Remover Rui' }));
    fireEvent.change(box, { target: { value: 'zé' } });
    expect(await screen.findByText('Ninguém encontrado com esse nome ou e-mail.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Salvar colaboradores' }));
    expect(await screen.findByText('Colaboradores salvos.')).toBeTruthy();
    expect(bodies).toEqual([{ user_ids: ['u-anita'] }]);
    expect(changed).toHaveBeenCalledOnce();
    expect(searches).toEqual(['a', 'zé']); // one search per pause in the typing
    expect(fetchMock.mock.calls.some(([url]) => new URL(String(url)).pathname === '/api/users')).toBe(false);
  });

  it('words a person the gateway does not take as a collaborator', async () => {
    const fetchMock = withMe(async (url, init) => {
      const path = new URL(url).pathname;
      if (path === '/api/users/directory') return jsonResponse({ items: [{ id: 'u-x', email: 'x@example.com', display_name: 'Xavier' }] });
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
    fireEvent.change(screen.getByRole('combobox'), { target: { value: 'xa' } });
    fireEvent.mouseDown(await screen.findByRole('option', { name: /Xavier/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Salvar colaboradores' }));
    expect(await screen.findByText('Uma das pessoas não é um usuário ativo.')).toBeTruthy();
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
