import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useApp } from '@/lib/app-context';
import type { Template } from '@/lib/types';
import { ADMIN, jsonResponse, renderApp, SELLER, withMe } from '@/test-utils';
import { ApiTokens } from './ApiTokens';
import { Shell, TopBar } from './Shell';
import { SystemStatus } from './SystemStatus';
import { Templates } from './Templates';

afterEach(() => vi.unstubAllGlobals());

/** What the context holds about the session, for assertions. */
function SessionProbe() {
  const { principal, token } = useApp();
  return <output data-testid="session">{JSON.stringify({ principal, token })}</output>;
}

const session = () => JSON.parse(screen.getByTestId('session').textContent ?? '{}') as { principal: unknown; token: string | null };
const meCalls = (fetchMock: { mock: { calls: unknown[][] } }) => fetchMock.mock.calls.filter(([url]) => new URL(String(url)).pathname === '/api/me');

async function signInWith(token: string) {
  fireEvent.change(await screen.findByLabelText('Token de API'), { target: { value: token } });
  fireEvent.click(screen.getByRole('button', { name: 'Entrar com o token' }));
}

describe('signing in and the session', () => {
  it('refuses a token the gateway does not know, in place, and keeps nothing', async () => {
    const fetchMock = vi.fn(async (_url: string, _init?: RequestInit) => jsonResponse({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Unknown API token.' }, 401));
    vi.stubGlobal('fetch', fetchMock);
    renderApp(
      <>
        <TopBar />
        <Shell title="Propostas">secret content</Shell>
        <SessionProbe />
      </>,
    );
    await signInWith('wrong-token');
    expect(await screen.findByText(/Token recusado pelo gateway/)).toBeTruthy();
    expect(screen.getByLabelText('Token de API').getAttribute('aria-invalid')).toBe('true');
    expect(fetchMock.mock.calls.map(([url, init]) => [url, (init?.headers as Record<string, string>)['Authorization']])).toEqual([
      ['http://gateway.test/api/auth/methods', undefined],
      ['http://gateway.test/api/me', 'Bearer wrong-token'],
    ]);
    expect(session()).toEqual({ principal: null, token: null });
    expect(window.sessionStorage.getItem('propos4l.token')).toBeNull();
    expect(screen.queryByText('secret content')).toBeNull();
    expect(screen.queryByRole('navigation')).toBeNull();
  });

  it('keeps the token and the principal /api/me answered, asking only once', async () => {
    const fetchMock = withMe(() => jsonResponse({ items: [] }), SELLER);
    vi.stubGlobal('fetch', fetchMock);
    renderApp(
      <>
        <Shell title="Propostas">secret content</Shell>
        <SessionProbe />
      </>,
    );
    await signInWith('  seller-token  ');
    expect(await screen.findByText('secret content')).toBeTruthy();
    expect(session()).toEqual({ principal: { name: 'token:Vendedora', admin: false }, token: 'seller-token' });
    expect(window.sessionStorage.getItem('propos4l.token')).toBe('seller-token');
    // The principal is not stored: only the token is, as before.
    expect(JSON.stringify({ ...window.sessionStorage, ...window.localStorage })).not.toContain('Vendedora');
    await new Promise((done) => setTimeout(done, 20));
    expect(meCalls(fetchMock)).toHaveLength(1);
  });

  it('after a reload, asks /api/me once and shows nothing of the page until it answers', async () => {
    let answer: (response: Response) => void = () => undefined;
    const fetchMock = vi.fn((_url: string, _init?: RequestInit) => new Promise<Response>((resolve) => (answer = resolve)));
    vi.stubGlobal('fetch', fetchMock);
    renderApp(
      <>
        <TopBar />
        <Shell title="Propostas">secret content</Shell>
        <SessionProbe />
      </>,
      { token: 'admin-token' },
    );
    await waitFor(() => expect(meCalls(fetchMock)).toHaveLength(1));
    expect(screen.getByText('Carregando…')).toBeTruthy();
    expect(screen.queryByText('secret content')).toBeNull();
    expect(screen.queryByRole('navigation')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Sair' })).toBeNull();
    expect(screen.queryByLabelText('Token de API')).toBeNull();
    answer(jsonResponse(ADMIN));
    expect(await screen.findByText('secret content')).toBeTruthy();
    expect(session().principal).toEqual(ADMIN);
    expect(screen.getByRole('link', { name: 'Tokens' })).toBeTruthy();
    expect(meCalls(fetchMock)).toHaveLength(1);
  });

  it('after a reload with a revoked token, returns to sign-in saying the session expired', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse({ title: 'Unauthorized', status: 401 }, 401)));
    renderApp(<Shell title="Propostas">secret content</Shell>, { token: 'revoked-token' });
    expect(await screen.findByText(/Sua sessão expirou/)).toBeTruthy();
    expect(screen.getByLabelText('Token de API')).toBeTruthy();
    expect(window.sessionStorage.getItem('propos4l.token')).toBeNull();
  });

  it('after a reload with the gateway unreachable, says so and tries again on request', async () => {
    let down = true;
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        if (down) throw new TypeError('Failed to fetch');
        return new URL(url).pathname === '/api/me' ? jsonResponse(SELLER) : jsonResponse({ items: [] });
      }),
    );
    renderApp(<Shell title="Propostas">secret content</Shell>, { token: 'seller-token' });
    expect(await screen.findByText(/Não foi possível falar com o gateway em http:\/\/gateway.test/)).toBeTruthy();
    expect(screen.queryByText('secret content')).toBeNull();
    down = false;
    fireEvent.click(screen.getByRole('button', { name: 'Tentar de novo' }));
    expect(await screen.findByText('secret content')).toBeTruthy();
    expect(window.sessionStorage.getItem('propos4l.token')).toBe('seller-token');
  });

  it('forgets the principal on sign out', async () => {
    vi.stubGlobal('fetch', withMe(() => jsonResponse({ items: [] }), ADMIN));
    renderApp(
      <>
        <TopBar />
        <SessionProbe />
      </>,
      { token: 'admin-token' },
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Sair' }));
    expect(session()).toEqual({ principal: null, token: null });
    expect(screen.queryByTestId('signed-in-as')).toBeNull();
  });
});

describe('the top bar', () => {
  const navLinks = () => within(screen.getByRole('navigation', { name: 'Navegação principal' })).getAllByRole('link').map((link) => link.textContent);

  it('hides the Tokens link from someone who is not an administrator, and names them without "token:"', async () => {
    vi.stubGlobal('fetch', withMe(() => jsonResponse({ items: [] }), SELLER));
    renderApp(<TopBar />, { token: 'seller-token' });
    const who = await screen.findByTestId('signed-in-as');
    expect(navLinks()).toEqual(['Propostas', 'Nova proposta', 'Biblioteca', 'Modelos', 'Sistema']);
    expect(screen.queryByRole('link', { name: 'Tokens' })).toBeNull();
    expect(who.textContent).toBe('Conectado como Vendedora');
    expect(within(who).getByText('Vendedora').className).toBe('whoami-name');
    expect(who.nextElementSibling?.textContent).toBe('Sair');
  });

  it('shows the Tokens link to an administrator, and says who is signed in, in English too', async () => {
    vi.stubGlobal('fetch', withMe(() => jsonResponse({ items: [] }), ADMIN));
    renderApp(<TopBar />, { token: 'admin-token', locale: 'en' });
    const who = await screen.findByTestId('signed-in-as');
    expect(within(screen.getByRole('navigation', { name: 'Main navigation' })).getAllByRole('link').map((link) => link.textContent)).toEqual([
      'Proposals',
      'New proposal',
      'Library',
      'Templates',
      'Tokens',
      'Webhooks',
      'Approval rules',
      'Users',
      'Audit',
      'System',
    ]);
    expect(who.textContent).toBe('Signed in as admin');
    expect(screen.getByRole('button', { name: 'Sign out' })).toBeTruthy();
  });

  it('shows an admin token made through the API the Tokens link, under its own name', async () => {
    vi.stubGlobal('fetch', withMe(() => jsonResponse({ items: [] }), { name: 'token:Ops', admin: true }));
    renderApp(<TopBar />, { token: 'ops-token' });
    expect((await screen.findByTestId('signed-in-as')).textContent).toBe('Conectado como Ops');
    expect(navLinks()).toContain('Tokens');
  });
});

describe('templates', () => {
  const template: Template = {
    name: 'default',
    version: 1,
    current_version: 1,
    description: 'Modelo padrão',
    company_name: 'Propos4l Consultoria',
    is_default: true,
    updated_at: '2025-03-01T09:00:00Z',
    url: '/api/templates/default',
    manifest: { name: 'default' },
    history: [{ version: 1, action: 'installed', tree_sha256: 'f'.repeat(64), created_by: 'system', created_at: '2025-03-01T09:00:00Z' }],
    files: [
      { path: 'manifest.json', size: 20, sha256: 'a'.repeat(64), media_type: 'application/json', text: '{"name": "default"}', url: '/api/templates/default/files/manifest.json' },
      { path: 'template.html', size: 30, sha256: 'b'.repeat(64), media_type: 'text/html', text: '<h1>{{ proposal.client }}</h1>', url: '/api/templates/default/files/template.html' },
      { path: 'style.css', size: 10, sha256: 'c'.repeat(64), media_type: 'text/css', text: 'h1 { }', url: '/api/templates/default/files/style.css' },
    ],
  };
  const templatesGateway = () =>
    vi.fn((url: string, _init?: RequestInit) => {
      const path = new URL(url).pathname;
      if (path === '/api/templates') return jsonResponse({ items: [{ name: 'default', description: 'Modelo padrão', is_default: true }] });
      if (path === '/api/templates/default') return jsonResponse(template);
      return jsonResponse({ title: 'Not Found', status: 404 }, 404);
    });

  it('are read-only for someone who is not an administrator: view, no save and no preview', async () => {
    const rest = templatesGateway();
    vi.stubGlobal('fetch', withMe(rest, SELLER));
    renderApp(
      <Shell title="Modelos">
        <Templates />
      </Shell>,
      { token: 'seller-token' },
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Ver: default' }));
    expect(screen.queryByRole('button', { name: /^Editar/ })).toBeNull();
    const html = (await screen.findByLabelText('template.html')) as HTMLTextAreaElement;
    expect(html.readOnly).toBe(true);
    expect((screen.getByLabelText('style.css') as HTMLTextAreaElement).readOnly).toBe(true);
    expect(html.value).toBe('<h1>{{ proposal.client }}</h1>');
    expect(screen.getByText(/Somente leitura: só administradores podem alterar modelos/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Salvar' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Pré-visualizar PDF' })).toBeNull();
    expect(rest.mock.calls.every(([, init]) => init?.method === undefined)).toBe(true);
  });

  it('are editable by an administrator, with save and preview', async () => {
    vi.stubGlobal('fetch', withMe(templatesGateway(), ADMIN));
    renderApp(
      <Shell title="Modelos">
        <Templates />
      </Shell>,
      { token: 'admin-token' },
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Editar: default' }));
    expect(((await screen.findByLabelText('template.html')) as HTMLTextAreaElement).readOnly).toBe(false);
    expect(screen.getByRole('button', { name: 'Salvar' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Pré-visualizar PDF' })).toBeTruthy();
    expect(screen.queryByText(/Somente leitura/)).toBeNull();
  });
});

describe('admin-only parts of other pages', () => {
  it('the system page shows backups to an administrator only, and does not ask for them otherwise', async () => {
    const rest = vi.fn((url: string) => {
      const path = new URL(url).pathname;
      if (path === '/api/health') return jsonResponse({ status: 'ok' });
      if (path === '/api/ready') return jsonResponse({ status: 'ready', checks: { redis: 'ok' } });
      if (path === '/api/backups') return jsonResponse({ kinds: [], items: [], total: 0 });
      return jsonResponse({ title: 'Not Found', status: 404 }, 404);
    });
    vi.stubGlobal('fetch', withMe(rest, SELLER));
    const view = renderApp(
      <Shell title="Sistema">
        <SystemStatus />
      </Shell>,
      { token: 'seller-token' },
    );
    expect(await screen.findByText('redis')).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Últimos backups' })).toBeNull();
    expect(rest.mock.calls.some(([url]) => String(url).endsWith('/api/backups'))).toBe(false);
    view.unmount();
    window.sessionStorage.clear();

    vi.stubGlobal('fetch', withMe(rest, ADMIN));
    renderApp(
      <Shell title="Sistema">
        <SystemStatus />
      </Shell>,
      { token: 'admin-token' },
    );
    expect(await screen.findByRole('heading', { name: 'Últimos backups' })).toBeTruthy();
    expect(await screen.findByText('Nenhum backup ainda.')).toBeTruthy();
  });

  it('the tokens page tells someone who is not an administrator so, without asking the gateway for the list', async () => {
    const rest = vi.fn((_url: string) => jsonResponse({ items: [] }));
    vi.stubGlobal('fetch', withMe(rest, SELLER));
    renderApp(
      <Shell title="Tokens de API">
        <ApiTokens />
      </Shell>,
      { token: 'seller-token' },
    );
    expect(await screen.findByText('Somente administradores')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Criar token' })).toBeNull();
    expect(rest).not.toHaveBeenCalled();
  });
});

describe('signing in with an e-mail and a password', () => {
  const ANA = {
    name: 'ana@example.com',
    admin: false,
    role: 'editor',
    via: 'session',
    user: { id: 'u-1', email: 'ana@example.com', display_name: 'Ana', role: 'editor', active: true, language: 'pt-BR', has_password: true },
    csrf_token: 'csrf-123',
  } as const;

  it('opens a web session, sends its CSRF token with changes and ends it on sign-out', async () => {
    const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
      const path = new URL(url).pathname;
      if (path === '/api/auth/methods') return jsonResponse({ password: true, sso: true });
      if (path === '/api/auth/sign-in') {
        const body = JSON.parse(String(init?.body)) as { password: string };
        return body.password === 'a long passphrase'
          ? jsonResponse(ANA)
          : jsonResponse({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Wrong.', code: 'sign_in_failed' }, 401);
      }
      if (path === '/api/auth/sign-out') return new Response(null, { status: 204 });
      return jsonResponse({ items: [] });
    });
    vi.stubGlobal('fetch', fetchMock);
    renderApp(
      <>
        <TopBar />
        <Shell title="Propostas">secret content</Shell>
        <SessionProbe />
      </>,
    );
    const sso = await screen.findByRole('link', { name: 'Entrar com SSO' });
    expect(sso.getAttribute('href')).toMatch(/^http:\/\/gateway\.test\/api\/auth\/oidc\/login\?return_to=/);
    fireEvent.change(screen.getByLabelText('E-mail'), { target: { value: 'ana@example.com' } });
    fireEvent.change(screen.getByLabelText('Senha'), { target: { value: 'wrong one' } });
    fireEvent.click(screen.getByRole('button', { name: 'Entrar' }));
    expect(await screen.findByText('E-mail ou senha incorretos.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Senha'), { target: { value: 'a long passphrase' } });
    fireEvent.click(screen.getByRole('button', { name: 'Entrar' }));
    expect(await screen.findByText('secret content')).toBeTruthy();
    expect(session().token).toBeNull();
    expect(window.localStorage.getItem('propos4l.cookieSession')).toBe('1');
    const signIn = fetchMock.mock.calls.find(([url]) => String(url).endsWith('/api/auth/sign-in'));
    expect(signIn?.[1]?.credentials).toBe('include');

    // The language chosen is kept on the account, a change sent with the session's CSRF token.
    fireEvent.change(screen.getByLabelText('Idioma'), { target: { value: 'en' } });
    await waitFor(() => expect(fetchMock.mock.calls.some(([url, init]) => String(url).endsWith('/api/me') && init?.method === 'PATCH')).toBe(true));
    const patch = fetchMock.mock.calls.find(([url, init]) => String(url).endsWith('/api/me') && init?.method === 'PATCH');
    expect(JSON.parse(String(patch?.[1]?.body))).toEqual({ language: 'en' });
    expect((patch?.[1]?.headers as Record<string, string>)['X-CSRF-Token']).toBe('csrf-123');
    fireEvent.change(screen.getByLabelText('Language'), { target: { value: 'pt-BR' } });

    fireEvent.click(screen.getByRole('button', { name: 'Sair' }));
    await waitFor(() => expect(fetchMock.mock.calls.some(([url]) => String(url).endsWith('/api/auth/sign-out'))).toBe(true));
    const signOut = fetchMock.mock.calls.find(([url]) => String(url).endsWith('/api/auth/sign-out'));
    expect((signOut?.[1]?.headers as Record<string, string>)['X-CSRF-Token']).toBe('csrf-123');
    expect(window.localStorage.getItem('propos4l.cookieSession')).toBeNull();
    expect(await screen.findByText('Você saiu.')).toBeTruthy();
  });
});
