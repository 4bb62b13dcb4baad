import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderApp, SELLER, withMe } from '@/test-utils';
import { Shell } from './Shell';
import { Users } from './Users';

afterEach(() => vi.unstubAllGlobals());

const ANA = { id: 'u-1', email: 'ana@example.com', display_name: 'Ana', role: 'admin', active: true, language: 'pt-BR', has_password: true };

describe('the Users page', () => {
  it('lists accounts, changes a role, and says so when the last admin would be demoted', async () => {
    const patches: unknown[] = [];
    const fetchMock = withMe(async (url, init) => {
      const path = new URL(url).pathname;
      if (path === '/api/users' && (init?.method ?? 'GET') === 'GET') return jsonResponse({ items: [ANA] });
      if (path === '/api/users/u-1' && init?.method === 'PATCH') {
        patches.push(JSON.parse(String(init.body)));
        return jsonResponse({ type: 'about:blank', title: 'Conflict', status: 409, detail: 'last', code: 'last_admin' }, 409);
      }
      return jsonResponse({}, 404);
    });
    vi.stubGlobal('fetch', fetchMock);
    renderApp(
      <Shell title="Usuários">
        <Users />
      </Shell>,
      { token: 'admin-token' },
    );
    expect(await screen.findByText('ana@example.com')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Papel de Ana'), { target: { value: 'viewer' } });
    expect(await screen.findByText(/último administrador ativo/)).toBeTruthy();
    expect(patches).toEqual([{ role: 'viewer' }]);
  });

  it('tells someone who is not an administrator, without asking the gateway', async () => {
    const fetchMock = withMe(() => jsonResponse({}, 500), SELLER);
    vi.stubGlobal('fetch', fetchMock);
    renderApp(
      <Shell title="Usuários">
        <Users />
      </Shell>,
      { token: 'seller-token' },
    );
    expect(await screen.findByText('Só administradores gerenciam usuários.')).toBeTruthy();
    await waitFor(() => expect(fetchMock.mock.calls.every(([url]) => new URL(String(url)).pathname === '/api/me')).toBe(true));
  });
});
