import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderApp, SELLER, withMe } from '@/test-utils';
import { AuditLog, ProposalHistory } from './AuditLog';
import { Shell } from './Shell';

afterEach(() => vi.unstubAllGlobals());

function record(id: number, action: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    at: '2026-12-01T12:00:00Z',
    action,
    outcome: 'success',
    actor_user_id: null,
    actor_name: 'ana@example.com',
    via: 'session',
    token_id: null,
    object_type: 'proposal',
    object_id: 'p-1',
    address: '10.0.0.9',
    user_agent: null,
    details: {},
    ...extra,
  };
}

describe('the audit page', () => {
  it('lists records, filters by action, and pages with before', async () => {
    const queries: URLSearchParams[] = [];
    const fetchMock = withMe(async (url) => {
      const parsed = new URL(url);
      if (parsed.pathname !== '/api/audit') return jsonResponse({}, 404);
      queries.push(parsed.searchParams);
      if (parsed.searchParams.get('before') === '7') return jsonResponse({ items: [record(3, 'sign_in', { outcome: 'failure' })], next_before: null });
      if (parsed.searchParams.get('action') === 'user.invited') return jsonResponse({ items: [record(9, 'user.invited', { details: { role: 'editor', emailed: false } })], next_before: 7 });
      return jsonResponse({ items: [record(8, 'proposal.created')], next_before: null });
    });
    vi.stubGlobal('fetch', fetchMock);
    renderApp(
      <Shell title="Auditoria">
        <AuditLog />
      </Shell>,
      { token: 'admin-token' },
    );
    expect(await screen.findByText('proposal.created')).toBeTruthy();
    expect(screen.getByText('Fim do registro.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Registros mais antigos' })).toBeNull();

    fireEvent.change(screen.getByLabelText(/Ação/), { target: { value: 'user.invited' } });
    fireEvent.click(screen.getByRole('button', { name: 'Filtrar' }));
    expect(await screen.findByText('role: editor · emailed: false')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Registros mais antigos' }));
    expect(await screen.findByText('sign_in')).toBeTruthy();
    expect(screen.getByText('user.invited')).toBeTruthy(); // the older page is added below, not instead
    expect(screen.getByText('falha')).toBeTruthy();
    const last = queries[queries.length - 1];
    expect(last?.get('action')).toBe('user.invited');
    expect(last?.get('before')).toBe('7');
  });

  it('does not ask the gateway with an actor that is not a user id', async () => {
    const fetchMock = withMe(async () => jsonResponse({ items: [], next_before: null }));
    vi.stubGlobal('fetch', fetchMock);
    renderApp(
      <Shell title="Auditoria">
        <AuditLog />
      </Shell>,
      { token: 'admin-token' },
    );
    expect(await screen.findByText('Nenhum registro com esses filtros.')).toBeTruthy();
    const calls = fetchMock.mock.calls.length;
    fireEvent.change(screen.getByLabelText(/Quem/), { target: { value: 'ana@example.com' } });
    fireEvent.click(screen.getByRole('button', { name: 'Filtrar' }));
    expect(screen.getByText(/Informe o id \(UUID\)/)).toBeTruthy();
    expect(fetchMock.mock.calls.length).toBe(calls);
  });

  it('tells someone who is not an administrator, without asking for the log', async () => {
    const fetchMock = withMe(() => jsonResponse({}, 500), SELLER);
    vi.stubGlobal('fetch', fetchMock);
    renderApp(
      <Shell title="Auditoria">
        <AuditLog />
      </Shell>,
      { token: 'seller-token' },
    );
    expect(await screen.findByText('Só administradores veem o registro de auditoria.')).toBeTruthy();
    expect(fetchMock.mock.calls.every(([url]) => new URL(String(url)).pathname === '/api/me')).toBe(true);
  });
});

describe('a proposal’s history', () => {
  it('shows the proposal’s records to an administrator', async () => {
    const fetchMock = withMe(async (url) => {
      const parsed = new URL(url);
      expect(parsed.searchParams.get('object_type')).toBe('proposal');
      expect(parsed.searchParams.get('object_id')).toBe('p-1');
      return jsonResponse({ items: [record(5, 'proposal.collaborators_changed')], next_before: null });
    });
    vi.stubGlobal('fetch', fetchMock);
    renderApp(
      <Shell title="Proposta">
        <ProposalHistory proposalId="p-1" />
      </Shell>,
      { token: 'admin-token', locale: 'en' },
    );
    expect(await screen.findByText('proposal.collaborators_changed')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'See it in the audit log' }).getAttribute('href')).toBe('/audit?object_type=proposal&object_id=p-1');
  });

  it('says the history is for administrators to anyone else', async () => {
    const fetchMock = withMe(() => jsonResponse({}, 500), SELLER);
    vi.stubGlobal('fetch', fetchMock);
    renderApp(
      <Shell title="Proposta">
        <ProposalHistory proposalId="p-1" />
      </Shell>,
      { token: 'seller-token' },
    );
    expect(await screen.findByText(/que só administradores veem/)).toBeTruthy();
    await waitFor(() => expect(fetchMock.mock.calls.every(([url]) => new URL(String(url)).pathname === '/api/me')).toBe(true));
  });
});

describe('a link to the audit page', () => {
  it('brings its filters, which the page shows and asks with', async () => {
    window.history.replaceState(null, '', '/audit?object_type=proposal&object_id=p-9');
    const queries: URLSearchParams[] = [];
    const fetchMock = withMe(async (url) => {
      queries.push(new URL(url).searchParams);
      return jsonResponse({ items: [record(4, 'proposal.created', { object_id: 'p-9' })], next_before: null });
    });
    vi.stubGlobal('fetch', fetchMock);
    renderApp(
      <Shell title="Auditoria">
        <AuditLog />
      </Shell>,
      { token: 'admin-token' },
    );
    expect(await screen.findByText('proposal.created')).toBeTruthy();
    expect((screen.getByLabelText(/Id do objeto/) as HTMLInputElement).value).toBe('p-9');
    expect(queries.map((query) => query.get('object_id'))).toEqual(['p-9']);
    window.history.replaceState(null, '', '/');
  });
});
