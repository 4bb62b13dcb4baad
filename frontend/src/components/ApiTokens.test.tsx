import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiToken } from '@/lib/types';
import { ADMIN, jsonResponse, renderApp, SELLER, withMe } from '@/test-utils';
import { ApiTokens } from './ApiTokens';

afterEach(() => vi.unstubAllGlobals());

const SECRET = 'p4l_s3cr3t-value-shown-once-0123456789';

function token(overrides: Partial<ApiToken> = {}): ApiToken {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    name: 'Integração CRM',
    prefix: 'p4l_AbCd',
    admin: false,
    created_by: 'admin',
    created_at: '2025-03-04T13:05:00Z',
    expires_at: '2025-06-02T13:05:00Z',
    last_used_at: null,
    revoked_at: null,
    ...overrides,
  };
}

/** A fake gateway for /api/tokens that keeps the tokens in force, and the calls it got. */
function fakeGateway(initial: ApiToken[], { create }: { create?: () => Response } = {}) {
  let tokens = [...initial];
  const calls: Array<{ method: string; url: string; body: unknown }> = [];
  const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    calls.push({ method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    const path = new URL(url).pathname;
    if (method === 'GET' && path === '/api/me') return jsonResponse(ADMIN);
    if (method === 'GET' && path === '/api/tokens') return jsonResponse({ items: tokens });
    if (method === 'POST' && path === '/api/tokens') {
      if (create) return create();
      const body = JSON.parse(String(init?.body)) as { name: string; admin: boolean };
      const made = token({ id: '22222222-2222-4222-8222-222222222222', name: body.name, admin: body.admin, prefix: SECRET.slice(0, 8), expires_at: null });
      tokens = [made, ...tokens];
      return jsonResponse({ ...made, token: SECRET }, 201);
    }
    if (method === 'DELETE' && path.startsWith('/api/tokens/')) {
      tokens = tokens.filter((item) => item.id !== path.split('/').pop());
      return new Response(null, { status: 204 });
    }
    return jsonResponse({ title: 'Not Found', status: 404, detail: 'no route' }, 404);
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls };
}

const ptBRDate = (iso: string) => new Intl.DateTimeFormat('pt-BR', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
const enDate = (iso: string) => new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));

describe('ApiTokens', () => {
  it('lists the tokens with prefix, access, creator and dates in the interface locale', async () => {
    fakeGateway([token(), token({ id: '33333333-3333-4333-8333-333333333333', name: 'Maria', admin: true, created_by: 'token:Ops', expires_at: null, last_used_at: '2025-03-05T08:30:00Z' })]);
    renderApp(<ApiTokens />, { token: 'admin-token' });
    const crm = await screen.findByRole('row', { name: /Integração CRM/ });
    const crmCells = within(crm).getAllByRole('cell').map((cell) => cell.textContent);
    expect(crmCells).toEqual(['p4l_AbCd…', 'Padrão', 'admin', ptBRDate('2025-03-04T13:05:00Z'), ptBRDate('2025-06-02T13:05:00Z'), 'nunca', 'Revogar']);
    const maria = screen.getByRole('row', { name: /Maria/ });
    expect(within(maria).getAllByRole('cell').map((cell) => cell.textContent)).toEqual(['p4l_AbCd…', 'Administrador', 'token:Ops', ptBRDate('2025-03-04T13:05:00Z'), 'não expira', ptBRDate('2025-03-05T08:30:00Z'), 'Revogar']);
    expect(screen.getByRole('button', { name: 'Revogar: Maria' })).toBeTruthy();
    expect(Array.from(document.querySelectorAll('th')).every((th) => ['col', 'row'].includes(th.getAttribute('scope') ?? ''))).toBe(true);
  });

  it('writes dates and labels in English when the interface is in English', async () => {
    fakeGateway([token({ admin: true })]);
    renderApp(<ApiTokens />, { token: 'admin-token', locale: 'en' });
    const row = await screen.findByRole('row', { name: /Integração CRM/ });
    expect(within(row).getAllByRole('cell').map((cell) => cell.textContent)).toEqual(['p4l_AbCd…', 'Administrator', 'admin', enDate('2025-03-04T13:05:00Z'), enDate('2025-06-02T13:05:00Z'), 'never', 'Revoke']);
    expect(screen.getByRole('heading', { name: 'Create a token' })).toBeTruthy();
  });

  it('creates a token and shows its secret once, with a copy button, and forgets it when dismissed', async () => {
    const { calls } = fakeGateway([]);
    const writeText = vi.fn(async () => undefined);
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    renderApp(<ApiTokens />, { token: 'admin-token' });
    expect(await screen.findByText(/Nenhum token ainda/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Nome'), { target: { value: '  Robô de faturamento  ' } });
    fireEvent.change(screen.getByLabelText(/Expira em \(dias\)/), { target: { value: '90' } });
    fireEvent.click(screen.getByLabelText('Token de administrador'));
    fireEvent.click(screen.getByRole('button', { name: 'Criar token' }));

    const box = await screen.findByTestId('new-token');
    expect(within(box).getByRole('heading', { name: 'Token “Robô de faturamento” criado: copie-o agora' })).toBe(document.activeElement);
    expect((within(box).getByLabelText('Novo token') as HTMLInputElement).value).toBe(SECRET);
    expect(within(box).getByText(/aparece só desta vez/)).toBeTruthy();
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({ name: 'Robô de faturamento', admin: true, expires_in_days: 90 });
    // The form is gone while the secret is shown, so a second create cannot push it off the screen.
    expect(screen.queryByRole('button', { name: 'Criar token' })).toBeNull();
    await screen.findByRole('row', { name: /Robô de faturamento/ });

    fireEvent.click(within(box).getByRole('button', { name: 'Copiar' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(SECRET));
    expect(await within(box).findByText('Token copiado para a área de transferência.')).toBeTruthy();

    fireEvent.click(within(box).getByRole('button', { name: 'Já guardei o token, fechar' }));
    await waitFor(() => expect(screen.queryByTestId('new-token')).toBeNull());
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(JSON.stringify({ ...window.localStorage })).not.toContain(SECRET);
    expect(JSON.stringify({ ...window.sessionStorage })).not.toContain(SECRET);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText('Nome')));
    expect((screen.getByLabelText('Nome') as HTMLInputElement).value).toBe('');
  });

  it('selects the secret and says so when the clipboard is not available', async () => {
    fakeGateway([]);
    vi.stubGlobal('navigator', { ...navigator, clipboard: undefined });
    renderApp(<ApiTokens />, { token: 'admin-token' });
    fireEvent.change(await screen.findByLabelText('Nome'), { target: { value: 'CI' } });
    fireEvent.click(screen.getByRole('button', { name: 'Criar token' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Copiar' }));
    expect(await screen.findByText(/Não foi possível copiar automaticamente/)).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByLabelText('Novo token'));
  });

  it('checks the name and the expiry before sending', async () => {
    const { calls } = fakeGateway([]);
    renderApp(<ApiTokens />, { token: 'admin-token' });
    fireEvent.click(await screen.findByRole('button', { name: 'Criar token' }));
    expect(await screen.findByText('Campo obrigatório.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Nome'), { target: { value: 'CI' } });
    fireEvent.change(screen.getByLabelText(/Expira em \(dias\)/), { target: { value: '4000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Criar token' }));
    expect(await screen.findByText('Informe um número inteiro de 1 a 3650, ou deixe vazio.')).toBeTruthy();
    expect(screen.getByLabelText(/Expira em \(dias\)/).getAttribute('aria-invalid')).toBe('true');
    expect(calls.some((call) => call.method === 'POST')).toBe(false);
  });

  it("shows the API's 409 detail next to the name, and 422 field errors next to their fields", async () => {
    let answer = jsonResponse({ title: 'Conflict', status: 409, detail: "A token named 'CI' already exists; revoke it or pick another name." }, 409);
    fakeGateway([], { create: () => answer });
    renderApp(<ApiTokens />, { token: 'admin-token' });
    fireEvent.change(await screen.findByLabelText('Nome'), { target: { value: 'CI' } });
    fireEvent.click(screen.getByRole('button', { name: 'Criar token' }));
    const conflict = await screen.findByText(/A token named 'CI' already exists/);
    expect(conflict.id).toBe('field-token-name-error');
    expect(screen.getByLabelText('Nome').getAttribute('aria-describedby')).toContain('field-token-name-error');

    answer = jsonResponse({ title: 'Unprocessable Entity', status: 422, detail: 'The request is invalid', errors: [{ field: 'expires_in_days', message: 'Input should be less than or equal to 3650' }] }, 422);
    fireEvent.change(screen.getByLabelText('Nome'), { target: { value: 'CI 2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Criar token' }));
    const invalid = await screen.findByText('Input should be less than or equal to 3650');
    expect(invalid.id).toBe('field-token-expires_in_days-error');
    expect(screen.queryByTestId('new-token')).toBeNull();
  });

  it('revokes a token only after a confirmation, and cancelling changes nothing', async () => {
    const { calls } = fakeGateway([token()]);
    renderApp(<ApiTokens />, { token: 'admin-token' });
    const revoke = await screen.findByRole('button', { name: 'Revogar: Integração CRM' });
    fireEvent.click(revoke);
    const question = screen.getByRole('group', { name: /Revogar o token “Integração CRM”\?/ });
    expect(document.activeElement).toBe(within(question).getByRole('button', { name: 'Cancelar' }));
    fireEvent.click(within(question).getByRole('button', { name: 'Cancelar' }));
    expect(screen.queryByRole('group')).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Revogar: Integração CRM' }));
    expect(calls.some((call) => call.method === 'DELETE')).toBe(false);

    fireEvent.click(screen.getByRole('button', { name: 'Revogar: Integração CRM' }));
    fireEvent.click(within(screen.getByRole('group')).getByRole('button', { name: 'Revogar token' }));
    expect(await screen.findByText('Token “Integração CRM” revogado: ele não funciona mais.')).toBeTruthy();
    expect(calls.filter((call) => call.method === 'DELETE').map((call) => call.url)).toEqual(['http://gateway.test/api/tokens/11111111-1111-4111-8111-111111111111']);
    await waitFor(() => expect(screen.queryByRole('row', { name: /Integração CRM/ })).toBeNull());
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Tokens' }));
  });

  it("shows the API's detail when a revoke fails", async () => {
    vi.stubGlobal(
      'fetch',
      withMe((_url: string, init?: RequestInit) =>
        init?.method === 'DELETE' ? jsonResponse({ title: 'Not Found', status: 404, detail: 'There is no token with id gone.' }, 404) : jsonResponse({ items: [token({ id: 'gone' })] }),
      ),
    );
    renderApp(<ApiTokens />, { token: 'admin-token' });
    fireEvent.click(await screen.findByRole('button', { name: 'Revogar: Integração CRM' }));
    fireEvent.click(screen.getByRole('button', { name: 'Revogar token' }));
    expect((await screen.findByRole('alert')).textContent).toContain('There is no token with id gone.');
  });

  it('tells a signed-in user who is not an administrator that only administrators manage tokens', async () => {
    vi.stubGlobal('fetch', withMe(() => jsonResponse({ type: 'about:blank', title: 'Forbidden', status: 403, detail: 'Only administrators may manage API tokens.' }, 403), SELLER));
    renderApp(<ApiTokens />, { token: 'user-token' });
    expect(await screen.findByText('Somente administradores')).toBeTruthy();
    expect(screen.getByText(/Só quem entrou com um token de administrador/)).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Criar token' })).toBeNull();
  });

  it('lists revoked tokens on request, without a revoke button', async () => {
    const { calls } = fakeGateway([]);
    renderApp(<ApiTokens />, { token: 'admin-token' });
    await screen.findByText(/Nenhum token ainda/);
    vi.stubGlobal(
      'fetch',
      withMe((url: string, init?: RequestInit) => {
        calls.push({ method: init?.method ?? 'GET', url, body: undefined });
        return jsonResponse({ items: [token({ revoked_at: '2025-03-06T10:00:00Z' })] });
      }),
    );
    fireEvent.click(screen.getByLabelText('Mostrar os revogados'));
    const row = await screen.findByRole('row', { name: /Integração CRM/ });
    expect(calls.at(-1)?.url).toBe('http://gateway.test/api/tokens?include_revoked=true');
    expect(within(row).getByText('revogado')).toBeTruthy();
    expect(within(row).getByText(`revogado em ${ptBRDate('2025-03-06T10:00:00Z')}`)).toBeTruthy();
    expect(within(row).queryByRole('button')).toBeNull();
  });
});
