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

describe('inviting and resetting a password', () => {
  it('shows the invitation link once, and says when it was not e-mailed', async () => {
    const bodies: unknown[] = [];
    const fetchMock = withMe(async (url, init) => {
      const path = new URL(url).pathname;
      if (path === '/api/users' && (init?.method ?? 'GET') === 'GET') return jsonResponse({ items: [ANA] });
      if (path === '/api/users/invitations' && init?.method === 'POST') {
        bodies.push(JSON.parse(String(init.body)));
        return jsonResponse(
          { id: 'i-1', email: 'bia@example.com', role: 'manager', expires_at: '2026-12-13T12:00:00Z', link: 'https://app.test/invite#s3cr3t', emailed: false },
          201,
        );
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
    await screen.findByText('ana@example.com');
    fireEvent.change(screen.getByLabelText('E-mail', { selector: '#invite-email' }), { target: { value: 'bia@example.com' } });
    fireEvent.change(screen.getByLabelText('Papel', { selector: '#invite-role' }), { target: { value: 'manager' } });
    fireEvent.click(screen.getByRole('button', { name: 'Convidar' }));
    const link = (await screen.findByLabelText('Link do convite')) as HTMLInputElement;
    expect(link.value).toBe('https://app.test/invite#s3cr3t');
    expect(screen.getByText(/não foi enviado por e-mail/)).toBeTruthy();
    expect(bodies).toEqual([{ email: 'bia@example.com', display_name: 'bia', role: 'manager' }]);
  });

  it('sets a password, and shows the gateway’s words when it refuses one', async () => {
    const bodies: unknown[] = [];
    const fetchMock = withMe(async (url, init) => {
      const path = new URL(url).pathname;
      if (path === '/api/users' && (init?.method ?? 'GET') === 'GET') return jsonResponse({ items: [ANA] });
      if (path === '/api/users/u-1/password' && init?.method === 'PUT') {
        const body = JSON.parse(String(init.body)) as { password: string };
        bodies.push(body);
        if (body.password.length < 12) {
          return jsonResponse({ type: 'about:blank', title: 'Unprocessable', status: 422, detail: 'Use at least 12 characters.', code: 'password_rejected' }, 422);
        }
        return new Response(null, { status: 204 });
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
    await screen.findByText('ana@example.com');
    fireEvent.click(screen.getByRole('button', { name: 'Definir senha' }));
    const field = screen.getByLabelText('Senha', { selector: '#reset-password' });
    fireEvent.change(field, { target: { value: 'short' } });
    fireEvent.click(screen.getByRole('button', { name: 'Salvar senha' }));
    expect(await screen.findByText('Senha recusada: Use at least 12 characters.')).toBeTruthy();
    fireEvent.change(field, { target: { value: 'a long enough passphrase' } });
    fireEvent.click(screen.getByRole('button', { name: 'Salvar senha' }));
    expect(await screen.findByText('Senha de Ana definida.')).toBeTruthy();
    expect(bodies).toEqual([{ password: 'short' }, { password: 'a long enough passphrase' }]);
  });
});
