import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderApp, withMe } from '@/test-utils';
import type { ClientDocument } from '@/lib/requirements';
import { suggestedRequest } from '@/lib/requirements';
import type { Proposal } from '@/lib/types';
import { ConfirmRequest } from './ConfirmRequest';
import { Shell } from './Shell';

afterEach(() => vi.unstubAllGlobals());

const proposal = { id: 'p-1', client_name: '', industry: 'Setor público', requirements: '', scope: null, timeline: null, budget: null, language: 'pt-BR', template: 'default', status: 'awaiting_confirmation' } as unknown as Proposal;

const readEdital = (status: ClientDocument['status']) =>
  ({
    id: 'd-1',
    filename: 'edital.pdf',
    status,
    requirement_count: 3,
    request_fields:
      status === 'read'
        ? {
            client: { value: 'PREFEITURA DE VALE VERDE', quote: 'PREFEITURA DE VALE VERDE', file: 'edital.pdf', page: 1 },
            object: { value: 'Implantação de protocolo digital.', quote: 'OBJETO: Implantação de protocolo digital.', file: 'edital.pdf', page: 1 },
            budget_ceiling: '480000.00',
            budget_currency: 'BRL',
            budget_quote: { value: '480000.00', quote: 'R$ 480.000,00', file: 'edital.pdf', page: 2 },
            submission_date: '2027-01-20',
            deadlines: [{ kind: 'submission', date: '2027-01-20', quote: 'até 20/01/2027', file: 'edital.pdf', page: 3 }],
          }
        : null,
  }) as unknown as ClientDocument;

describe('the fields a read document suggests', () => {
  it('come from the first document that states each, with where they were read, and none from an unread one', () => {
    expect(suggestedRequest([readEdital('reading')])).toEqual({});
    const suggestion = suggestedRequest([readEdital('read')]);
    expect(suggestion.client_name).toEqual({ value: 'PREFEITURA DE VALE VERDE', source: 'edital.pdf, p. 1' });
    expect(suggestion.budget).toEqual({ value: 'BRL 480000.00', source: 'edital.pdf, p. 2' });
    expect(suggestion.timeline?.value).toBe('2027-01-20');
  });
});

describe('confirming a request started from documents', () => {
  it('waits for the reading, fills the fields found (keeping what was typed), and confirms what the person left', async () => {
    let reads = 0;
    const confirmed: unknown[] = [];
    const onConfirmed = vi.fn(async () => undefined);
    vi.stubGlobal(
      'fetch',
      withMe(async (url, init) => {
        const path = new URL(url).pathname;
        if (path === '/api/proposals/p-1/documents') return jsonResponse({ items: [readEdital(reads++ === 0 ? 'reading' : 'read')] });
        if (path === '/api/proposals/p-1/confirm' && init?.method === 'POST') {
          confirmed.push(JSON.parse(String(init.body)));
          return jsonResponse({ ...proposal, status: 'queued' }, 202);
        }
        return jsonResponse({}, 404);
      }),
    );
    renderApp(
      <Shell title="Proposta">
        <ConfirmRequest proposal={proposal} onConfirmed={onConfirmed} />
      </Shell>,
      { token: 'admin-token' },
    );
    expect(await screen.findByText('Aguarde a leitura dos documentos para confirmar.')).toBeTruthy();
    const submit = screen.getByRole('button', { name: 'Confirmar e redigir' });
    expect((submit as HTMLButtonElement).disabled).toBe(true); // still reading
    const client = screen.getByLabelText('Cliente') as HTMLInputElement;
    await waitFor(() => expect(client.value).toBe('PREFEITURA DE VALE VERDE'), { timeout: 5000 });
    expect(document.getElementById('confirm-client_name-hint')?.textContent).toBe('Lido em edital.pdf, p. 1');
    expect(document.getElementById('confirm-budget-hint')?.textContent).toBe('Lido em edital.pdf, p. 2');
    expect((screen.getByLabelText('Setor') as HTMLInputElement).value).toBe('Setor público'); // typed before: kept
    fireEvent.change(client, { target: { value: 'Prefeitura Municipal de Vale Verde' } });
    await waitFor(() => expect((submit as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(submit);
    await waitFor(() => expect(onConfirmed).toHaveBeenCalledOnce());
    expect(confirmed).toEqual([
      {
        client_name: 'Prefeitura Municipal de Vale Verde',
        industry: 'Setor público',
        requirements: 'Implantação de protocolo digital.',
        scope: null,
        timeline: '2027-01-20',
        budget: 'BRL 480000.00',
        language: 'pt-BR',
        template: 'default',
      },
    ]);
  });

  it('words a confirmation refused while documents are still read', async () => {
    vi.stubGlobal(
      'fetch',
      withMe(async (url, init) => {
        const path = new URL(url).pathname;
        if (path === '/api/proposals/p-1/documents') return jsonResponse({ items: [readEdital('read')] });
        if (path === '/api/proposals/p-1/confirm' && init?.method === 'POST') {
          return jsonResponse({ status: 409, detail: '1 document(s) are still being read', code: 'documents_reading' }, 409);
        }
        return jsonResponse({}, 404);
      }),
    );
    renderApp(<ConfirmRequest proposal={proposal} onConfirmed={vi.fn(async () => undefined)} />, { token: 'admin-token', locale: 'en' });
    await waitFor(() => expect((screen.getByLabelText('Client') as HTMLInputElement).value).toBe('PREFEITURA DE VALE VERDE'));
    fireEvent.click(screen.getByRole('button', { name: 'Confirm and draft' }));
    expect(await screen.findByText(/Documents are still being read; confirm once they are/)).toBeTruthy();
  });

  it('says while the model still reviews the requirements what confirming now means, and stops once it has answered', async () => {
    let reviewed = false;
    const review = { model: 'qwen2.5:7b', relabelled: 1, merged: 0, confirmed: 2, ignored: 0, failed_batches: 0, batches: 1, skipped: null, reviewed_at: '2026-12-06T00:00:00Z' };
    vi.stubGlobal(
      'fetch',
      withMe(async (url) => {
        const path = new URL(url).pathname;
        if (path === '/api/proposals/p-1/documents') return jsonResponse({ items: [{ ...readEdital('read'), review: reviewed ? review : null }] });
        return jsonResponse({}, 404);
      }),
    );
    renderApp(<ConfirmRequest proposal={proposal} onConfirmed={vi.fn(async () => undefined)} />, { token: 'admin-token' });
    const note = await screen.findByText('O modelo ainda revisa os requisitos');
    expect(note.closest('[role="status"]')?.textContent).toMatch(/Você pode confirmar agora: a primeira versão é escrita com a classificação das regras/);
    const submit = screen.getByRole('button', { name: 'Confirmar e redigir' }) as HTMLButtonElement;
    expect(submit.disabled).toBe(false); // confirming does not wait for the review
    expect(submit.getAttribute('aria-describedby')).toBe('confirm-reviewing');
    reviewed = true; // the model answers: the next poll takes the note away
    await waitFor(() => expect(screen.queryByText('O modelo ainda revisa os requisitos')).toBeNull(), { timeout: 5000 });
    expect(submit.getAttribute('aria-describedby')).toBeNull();
  });
});
