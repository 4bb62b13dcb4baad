import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebhookDelivery, WebhookEndpoint } from '@/lib/types';
import { ADMIN, jsonResponse, renderApp } from '@/test-utils';
import { Webhooks } from './Webhooks';

afterEach(() => vi.unstubAllGlobals());

const SECRET = 'whsec_c2VjcmV0LXNob3duLW9uY2UtMDEyMzQ1Njc4OWFiY2RlZg==';
const ROTATED = 'whsec_cm90YXRlZC1zZWNyZXQtc2hvd24tb25jZS0wMTIzNDU2Nzg5';

function endpoint(overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    url: 'https://crm.example/hooks',
    event_types: ['proposal.ready'],
    description: 'CRM',
    enabled: true,
    consecutive_failures: 0,
    disabled_reason: null,
    disabled_at: null,
    created_at: '2026-12-06T10:00:00Z',
    updated_at: '2026-12-06T10:00:00Z',
    previous_secret_expires_at: null,
    ...overrides,
  };
}

const DELIVERY: WebhookDelivery = {
  id: '22222222-2222-4222-8222-222222222222',
  webhook_id: 'msg_22222222222242228222222222222222',
  event_id: '33333333-3333-4333-8333-333333333333',
  event_type: 'proposal.ready',
  status: 'pending',
  attempts: 2,
  created_at: '2026-12-06T10:00:00Z',
  delivered_at: null,
  next_attempt_at: '2026-12-06T10:01:00Z',
  tries: [
    { attempted_at: '2026-12-06T10:00:01Z', outcome: 'http_error', status_code: 500, latency_ms: 31, response_excerpt: 'boom', error: null },
    { attempted_at: '2026-12-06T10:00:11Z', outcome: 'timeout', status_code: null, latency_ms: 10000, response_excerpt: null, error: 'no answer within 10 s' },
  ],
};

function fakeGateway(initial: WebhookEndpoint[]) {
  let endpoints = [...initial];
  const calls: Array<{ method: string; path: string; body: unknown }> = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      const path = new URL(url).pathname;
      calls.push({ method, path, body: init?.body ? JSON.parse(String(init.body)) : undefined });
      if (path === '/api/me') return jsonResponse(ADMIN);
      if (method === 'GET' && path === '/api/webhooks') return jsonResponse({ items: endpoints });
      if (method === 'POST' && path === '/api/webhooks') {
        const body = JSON.parse(String(init?.body)) as { url: string; event_types: string[] };
        const made = endpoint({ id: '44444444-4444-4444-8444-444444444444', url: body.url, event_types: body.event_types });
        endpoints = [...endpoints, made];
        return jsonResponse({ ...made, secret: SECRET }, 201);
      }
      if (method === 'GET' && path.endsWith('/deliveries')) return jsonResponse({ items: [DELIVERY] });
      if (method === 'POST' && path.endsWith('/resend')) return new Response(null, { status: 202 });
      if (method === 'PATCH') {
        const changes = JSON.parse(String(init?.body)) as Partial<WebhookEndpoint>;
        const revived = changes.enabled ? { disabled_reason: null, disabled_at: null, consecutive_failures: 0 } : {};
        endpoints = endpoints.map((item) => (path.endsWith(item.id) ? { ...item, ...changes, ...revived } : item));
        return jsonResponse(endpoints.find((item) => path.endsWith(item.id)));
      }
      if (method === 'POST' && path.endsWith('/rotate-secret')) {
        const hours = Number(new URL(url).searchParams.get('keep_previous_hours'));
        return jsonResponse({ secret: ROTATED, previous_secret_expires_at: hours > 0 ? '2026-12-07T10:00:00Z' : null });
      }
      if (method === 'DELETE') {
        endpoints = endpoints.filter((item) => !path.endsWith(item.id));
        return new Response(null, { status: 204 });
      }
      return jsonResponse({ title: 'Not Found', status: 404, detail: 'no route' }, 404);
    }),
  );
  return { calls };
}

describe('Webhooks', () => {
  it('registers an endpoint and shows its secret once', async () => {
    const { calls } = fakeGateway([]);
    renderApp(<Webhooks />, { token: 'admin-token' });
    fireEvent.change(await screen.findByLabelText(/URL/), { target: { value: 'https://erp.example/in' } });
    fireEvent.click(screen.getByRole('button', { name: 'Cadastrar' }));
    const box = await screen.findByTestId('new-webhook');
    expect((within(box).getByLabelText('Segredo de assinatura') as HTMLInputElement).value).toBe(SECRET);
    const posted = calls.find((call) => call.method === 'POST');
    expect(posted?.body).toEqual({ url: 'https://erp.example/in', event_types: ['proposal.ready', 'proposal.failed'], description: '', enabled: true });
    fireEvent.click(within(box).getByRole('button', { name: 'Já guardei o segredo, fechar' }));
    await waitFor(() => expect(screen.queryByTestId('new-webhook')).toBeNull());
    expect(document.body.textContent).not.toContain(SECRET);
  });

  it('tells the admin an endpoint was disabled, and why, and enables it again', async () => {
    const reason = 'disabled after 15 failed tries in a row; the last: http_error 500';
    const { calls } = fakeGateway([endpoint({ enabled: false, disabled_reason: reason, consecutive_failures: 15 })]);
    renderApp(<Webhooks />, { token: 'admin-token' });
    expect(await screen.findByText(/1 endereço\(s\) foram desativados/)).toBeTruthy();
    expect(screen.getByText(reason)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Reativar' }));
    await waitFor(() => expect(calls.some((call) => call.method === 'PATCH')).toBe(true));
    expect(calls.find((call) => call.method === 'PATCH')?.body).toEqual({ enabled: true });
  });

  it('shows the delivery log with the last try, and sends a delivery again', async () => {
    const { calls } = fakeGateway([endpoint()]);
    renderApp(<Webhooks />, { token: 'admin-token' });
    fireEvent.click(await screen.findByRole('button', { name: 'Entregas' }));
    const row = await screen.findByRole('row', { name: /proposal.ready/ });
    const cells = within(row).getAllByRole('cell').map((cell) => cell.textContent);
    expect(cells.slice(0, 4)).toEqual(['Pendente', '2', 'timeout · 10000 ms', 'no answer within 10 s']);
    fireEvent.click(within(row).getByRole('button', { name: 'Reenviar' }));
    await waitFor(() => expect(calls.some((call) => call.path.endsWith(`/deliveries/${DELIVERY.id}/resend`))).toBe(true));
  });

  it('says when an endpoint was disabled after failures', async () => {
    const reason = 'disabled after 3 failed tries in a row; the last: timeout';
    fakeGateway([endpoint({ enabled: false, disabled_reason: reason, disabled_at: '2026-12-06T11:00:00Z', consecutive_failures: 3 })]);
    renderApp(<Webhooks />, { token: 'admin-token' });
    const notice = await screen.findByTestId('disabled-reason');
    expect(notice.textContent).toMatch(/^Desativado em .+: disabled after 3 failed tries/);
    expect(screen.getByText('Desativado por falhas')).toBeTruthy();
  });

  it('edits an endpoint, sending only what changed', async () => {
    const { calls } = fakeGateway([endpoint()]);
    renderApp(<Webhooks />, { token: 'admin-token' });
    fireEvent.click(await screen.findByRole('button', { name: 'Editar: https://crm.example/hooks' }));
    const form = screen.getByRole('form', { name: 'Editar https://crm.example/hooks' });
    fireEvent.change(within(form).getByLabelText('URL'), { target: { value: 'https://crm.example/v2/hooks' } });
    fireEvent.click(within(form).getByLabelText('Proposta falhou'));
    fireEvent.click(within(form).getByLabelText('Ativo (recebe entregas)'));
    fireEvent.click(within(form).getByRole('button', { name: 'Salvar' }));
    expect(await screen.findByText('https://crm.example/v2/hooks salvo.')).toBeTruthy();
    expect(calls.find((call) => call.method === 'PATCH')?.body).toEqual({
      url: 'https://crm.example/v2/hooks',
      event_types: ['proposal.ready', 'proposal.failed'],
      enabled: false,
    });
    await waitFor(() => expect(screen.getByText('Desligado')).toBeTruthy());
  });

  it('refuses an edit that leaves no event, without asking the gateway', async () => {
    const { calls } = fakeGateway([endpoint()]);
    renderApp(<Webhooks />, { token: 'admin-token' });
    fireEvent.click(await screen.findByRole('button', { name: 'Editar: https://crm.example/hooks' }));
    const form = screen.getByRole('form', { name: 'Editar https://crm.example/hooks' });
    fireEvent.click(within(form).getByLabelText('Proposta pronta (PDF)'));
    fireEvent.click(within(form).getByRole('button', { name: 'Salvar' }));
    expect(await within(form).findByText('Escolha ao menos um evento.')).toBeTruthy();
    expect(calls.some((call) => call.method === 'PATCH')).toBe(false);
  });

  it('makes a new secret after a confirmation and shows it once, with until when the old one signs', async () => {
    const { calls } = fakeGateway([endpoint()]);
    renderApp(<Webhooks />, { token: 'admin-token' });
    fireEvent.click(await screen.findByRole('button', { name: 'Gerar novo segredo: https://crm.example/hooks' }));
    const question = screen.getByRole('group', { name: /Gerar um novo segredo para/ });
    fireEvent.click(within(question).getByRole('button', { name: 'Gerar novo segredo' }));
    const box = await screen.findByTestId('rotated-webhook-secret');
    expect((within(box).getByLabelText('Segredo de assinatura') as HTMLInputElement).value).toBe(ROTATED);
    expect(box.textContent).toMatch(/o anterior assina até/);
    expect(calls.find((call) => call.path.endsWith('/rotate-secret'))).toBeTruthy();
    fireEvent.click(within(box).getByRole('button', { name: 'Já guardei o segredo, fechar' }));
    await waitFor(() => expect(screen.queryByTestId('rotated-webhook-secret')).toBeNull());
    expect(document.body.textContent).not.toContain(ROTATED);
  });

  it('stops the old secret at once when asked (a leaked secret)', async () => {
    const requested: string[] = [];
    fakeGateway([endpoint()]);
    const fetcher = globalThis.fetch as unknown as ReturnType<typeof vi.fn>;
    const original = fetcher.getMockImplementation();
    fetcher.mockImplementation(async (url: string, init?: RequestInit) => {
      requested.push(String(url));
      return original?.(url, init);
    });
    renderApp(<Webhooks />, { token: 'admin-token' });
    fireEvent.click(await screen.findByRole('button', { name: 'Gerar novo segredo: https://crm.example/hooks' }));
    fireEvent.click(screen.getByLabelText('Nada: para já (segredo vazado)'));
    fireEvent.click(within(screen.getByRole('group', { name: /Gerar um novo segredo/ })).getByRole('button', { name: 'Gerar novo segredo' }));
    const box = await screen.findByTestId('rotated-webhook-secret');
    expect(box.textContent).toMatch(/o anterior já não assina/);
    expect(requested.some((url) => url.endsWith('/rotate-secret?keep_previous_hours=0'))).toBe(true);
  });

  it('deletes an endpoint after a confirmation', async () => {
    const { calls } = fakeGateway([endpoint()]);
    renderApp(<Webhooks />, { token: 'admin-token' });
    fireEvent.click(await screen.findByRole('button', { name: 'Excluir: https://crm.example/hooks' }));
    expect(calls.some((call) => call.method === 'DELETE')).toBe(false);
    fireEvent.click(within(screen.getByRole('group', { name: /Excluir https/ })).getByRole('button', { name: 'Excluir o endereço' }));
    expect(await screen.findByText('https://crm.example/hooks excluído.')).toBeTruthy();
    expect(calls.find((call) => call.method === 'DELETE')?.path).toBe('/api/webhooks/11111111-1111-4111-8111-111111111111');
    expect(await screen.findByText('Nenhum endereço cadastrado.')).toBeTruthy();
  });
});
