import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Investment } from '@/lib/types';
import { jsonResponse, renderApp, SELLER, withMe } from '@/test-utils';
import { LiveDraft, StageProgress } from './LiveDraft';
import { ProposalForm } from './ProposalForm';
import { ProposalsList } from './ProposalsList';
import { InvestmentTable, TraceLink } from './ProposalView';
import { Shell } from './Shell';
import { StatusBadge } from './ui';

afterEach(() => vi.unstubAllGlobals());

describe('StatusBadge', () => {
  it('names the status in the chosen language', async () => {
    renderApp(<StatusBadge status="generating" />);
    expect(await screen.findByText('Escrevendo')).toBeTruthy();
  });

  it('switches to English', async () => {
    renderApp(<StatusBadge status="failed" />, { locale: 'en' });
    expect(await screen.findByText('Failed')).toBeTruthy();
  });
});

describe('Shell and sign-in', () => {
  it('asks for a token when there is no session, and says when the gateway refuses it', async () => {
    const fetchMock = vi.fn(async (_url: string, _init?: RequestInit) => jsonResponse({ title: 'Unauthorized', status: 401 }, 401));
    vi.stubGlobal('fetch', fetchMock);
    renderApp(
      <Shell title="Propostas">
        <p>secret content</p>
      </Shell>,
    );
    fireEvent.change(await screen.findByLabelText('Token de API'), { target: { value: 'wrong-token' } });
    fireEvent.click(screen.getByRole('button', { name: 'Entrar com o token' }));
    expect(await screen.findByText(/Token recusado pelo gateway/)).toBeTruthy();
    expect(screen.queryByText('secret content')).toBeNull();
    expect(window.sessionStorage.getItem('propos4l.token')).toBeNull();
    // The sign-in page also asks which sign-in methods there are (single sign-on or not).
    expect(fetchMock.mock.calls.map(([url]) => url)).toEqual(['http://gateway.test/api/auth/methods', 'http://gateway.test/api/me']);
  });

  it('says the gateway is down, naming its address', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    renderApp(<Shell title="x">content</Shell>);
    fireEvent.change(await screen.findByLabelText('Token de API'), { target: { value: 'some-token' } });
    fireEvent.click(screen.getByRole('button', { name: 'Entrar com o token' }));
    expect(await screen.findByText(/Não foi possível falar com o gateway em http:\/\/gateway.test/)).toBeTruthy();
  });

  it('signs in, keeps the token in sessionStorage and shows the page', async () => {
    vi.stubGlobal('fetch', withMe(() => jsonResponse({ items: [], total: 0, page: 1, page_size: 1 }), SELLER));
    renderApp(<Shell title="Propostas">secret content</Shell>);
    fireEvent.change(await screen.findByLabelText('Token de API'), { target: { value: 'good-token-123' } });
    fireEvent.click(screen.getByRole('button', { name: 'Entrar com o token' }));
    expect(await screen.findByText('secret content')).toBeTruthy();
    expect(window.sessionStorage.getItem('propos4l.token')).toBe('good-token-123');
  });
});

describe('ProposalForm', () => {
  it('checks required fields before sending', async () => {
    const fetchMock = withMe(() => jsonResponse({ items: [] }));
    vi.stubGlobal('fetch', fetchMock);
    renderApp(<ProposalForm onCreated={() => undefined} />, { token: 't' });
    fireEvent.click(await screen.findByRole('button', { name: 'Gerar proposta' }));
    expect(await screen.findAllByText('Campo obrigatório.')).toHaveLength(3);
    expect(screen.getByLabelText('Cliente').getAttribute('aria-invalid')).toBe('true');
    expect(fetchMock.mock.calls.some(([url]) => String(url).endsWith('/api/proposals'))).toBe(false);
  });

  it("shows the API's problem+json messages next to the fields", async () => {
    vi.stubGlobal(
      'fetch',
      withMe((_url: string, init?: RequestInit) =>
        init?.method === 'POST'
          ? jsonResponse({ title: 'Unprocessable Entity', status: 422, detail: 'invalid', errors: [{ field: 'client_name', message: 'String should have at most 200 characters' }] }, 422)
          : jsonResponse({ items: [] }),
      ),
    );
    renderApp(<ProposalForm onCreated={() => undefined} />, { token: 't' });
    fireEvent.change(await screen.findByLabelText('Cliente'), { target: { value: 'x'.repeat(201) } });
    fireEvent.change(screen.getByLabelText('Setor'), { target: { value: 'Varejo' } });
    fireEvent.change(screen.getByLabelText(/Requisitos/), { target: { value: 'Loja' } });
    fireEvent.click(screen.getByRole('button', { name: 'Gerar proposta' }));
    const message = await screen.findByText('String should have at most 200 characters');
    expect(message.id).toBe('field-client_name-error');
    expect(screen.getByLabelText('Cliente').getAttribute('aria-describedby')).toContain('field-client_name-error');
  });

  it("words the API's field errors in the interface's language from their type and limits", async () => {
    vi.stubGlobal(
      'fetch',
      withMe((_url: string, init?: RequestInit) =>
        init?.method === 'POST'
          ? jsonResponse(
              {
                title: 'Unprocessable Entity',
                status: 422,
                detail: 'invalid',
                errors: [
                  { field: 'client_name', message: 'String should have at most 200 characters', type: 'string_too_long', limits: { max_length: 200 } },
                  { field: 'industry', message: 'Value error, something only the gateway knows', type: 'value_error' },
                ],
              },
              422,
            )
          : jsonResponse({ items: [] }),
      ),
    );
    renderApp(<ProposalForm onCreated={() => undefined} />, { token: 't' });
    fireEvent.change(await screen.findByLabelText('Cliente'), { target: { value: 'x'.repeat(201) } });
    fireEvent.change(screen.getByLabelText('Setor'), { target: { value: 'Varejo' } });
    fireEvent.change(screen.getByLabelText(/Requisitos/), { target: { value: 'Loja' } });
    fireEvent.click(screen.getByRole('button', { name: 'Gerar proposta' }));
    expect((await screen.findByText('Use no máximo 200 caracteres.')).id).toBe('field-client_name-error');
    expect(screen.getByText('Value error, something only the gateway knows').id).toBe('field-industry-error');
  });

  it('says the system is unavailable for a moment when the gateway answers 503', async () => {
    vi.stubGlobal(
      'fetch',
      withMe((_url: string, init?: RequestInit) =>
        init?.method === 'POST'
          ? jsonResponse({ title: 'Service Unavailable', status: 503, detail: 'The database is not answering right now; try again in a few seconds.' }, 503)
          : jsonResponse({ items: [] }),
      ),
    );
    renderApp(<ProposalForm onCreated={() => undefined} />, { token: 't' });
    fireEvent.change(await screen.findByLabelText('Cliente'), { target: { value: 'Padaria' } });
    fireEvent.change(screen.getByLabelText('Setor'), { target: { value: 'Varejo' } });
    fireEvent.change(screen.getByLabelText(/Requisitos/), { target: { value: 'Loja online' } });
    fireEvent.click(screen.getByRole('button', { name: 'Gerar proposta' }));
    expect(await screen.findByText(/O sistema está indisponível por um momento/)).toBeTruthy();
  });

  it('sends the request and reports the new id', async () => {
    const fetchMock = withMe((_url: string, init?: RequestInit) => (init?.method === 'POST' ? jsonResponse({ id: 'new-id', status: 'queued', version: 1 }, 202) : jsonResponse({ items: [] })));
    vi.stubGlobal('fetch', fetchMock);
    const onCreated = vi.fn();
    renderApp(<ProposalForm onCreated={onCreated} />, { token: 't' });
    fireEvent.change(await screen.findByLabelText('Cliente'), { target: { value: 'Padaria' } });
    fireEvent.change(screen.getByLabelText('Setor'), { target: { value: 'Varejo' } });
    fireEvent.change(screen.getByLabelText(/Requisitos/), { target: { value: 'Loja online' } });
    fireEvent.click(screen.getByRole('button', { name: 'Gerar proposta' }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith('new-id'));
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST');
    expect(JSON.parse(String(post?.[1]?.body))).toMatchObject({ client_name: 'Padaria', industry: 'Varejo', requirements: 'Loja online', scope: null, language: 'pt-BR', template: 'default' });
  });
});

describe('LiveDraft', () => {
  it('marks finished, current and waiting sections and shows the text being written', async () => {
    renderApp(
      <LiveDraft
        status="generating"
        live={{ version: 1, current: 'solution', completed: ['executive_summary', 'context'], characters: 1234, notice: null, texts: { solution: { title: 'Solução proposta', text: 'Uma solução em fases' } } }}
      />,
    );
    expect(await screen.findByText('Uma solução em fases')).toBeTruthy();
    expect(screen.getByText('2 de 10 seções')).toBeTruthy();
    const states = Array.from(document.querySelectorAll('[data-section]')).map((row) => row.getAttribute('data-state'));
    expect(states.slice(0, 4)).toEqual(['done', 'done', 'writing', 'waiting']);
  });

  it('marks every section being written side by side and shows the first one', async () => {
    renderApp(
      <LiveDraft
        status="generating"
        live={{
          version: 1,
          current: 'scope',
          completed: ['context'],
          characters: 900,
          notice: null,
          texts: {
            context: { title: 'Contexto e necessidades', text: 'Pronto' },
            solution: { title: 'Solução proposta', text: 'Uma solução' },
            scope: { title: 'Escopo', text: 'Dentro do escopo' },
          },
        }}
      />,
    );
    expect(await screen.findByText('Uma solução')).toBeTruthy();
    const states = Array.from(document.querySelectorAll('[data-section]')).map((row) => row.getAttribute('data-state'));
    expect(states.slice(0, 5)).toEqual(['waiting', 'done', 'writing', 'writing', 'waiting']);
  });

  it('marks the current stage as the step in progress', async () => {
    renderApp(<StageProgress status="rendering" />);
    const current = await screen.findByText('Gerando o PDF');
    expect(current.getAttribute('aria-current')).toBe('step');
  });
});

describe('InvestmentTable', () => {
  const investment: Investment = {
    currency: 'BRL',
    lines: [
      { description: 'Sprint de desenvolvimento', quantity: '3', unit_price: '1500.00', amount: '4500.00' },
      { description: 'Licença anual', quantity: '1', unit_price: '999.99', amount: '999.99' },
    ],
    subtotal: '5499.99',
    discount_percent: '10.00',
    discount: '550.00',
    net: '4949.99',
    taxes: [{ label: 'ISS', rate: '5', amount: '247.50' }],
    total: '5197.49',
    pricing_source: 'template',
    note: null,
  };
  /** Each row of the table's foot as [its header, its amount], spaces normalised (Intl uses no-break spaces). */
  const footRows = () =>
    Array.from(document.querySelectorAll('tfoot tr')).map((row) =>
      [row.querySelector('th')?.textContent, row.querySelector('td')?.textContent].map((text) => text?.replace(/\s/g, ' ')),
    );

  it("shows the API's lines, subtotal, discount, net, taxes and total in its currency, in pt-BR", async () => {
    renderApp(<InvestmentTable investment={investment} />);
    expect(await screen.findByText('Itens de investimento')).toBeTruthy();
    expect(footRows()).toEqual([
      ['Subtotal', 'R$ 5.499,99'],
      ['Desconto (10%)', '-R$ 550,00'],
      ['Subtotal com desconto', 'R$ 4.949,99'],
      ['ISS (5%)', 'R$ 247,50'],
      ['Total', 'R$ 5.197,49'],
    ]);
    expect(screen.getByTestId('investment-total').textContent?.replace(/\s/g, ' ')).toBe('R$ 5.197,49');
    const cells = Array.from(document.querySelectorAll('tbody tr:first-child td')).map((cell) => cell.textContent?.replace(/\s/g, ' '));
    expect(cells).toEqual(['Sprint de desenvolvimento', '3', 'R$ 1.500,00', 'R$ 4.500,00']);
    expect(Array.from(document.querySelectorAll('th')).every((th) => ['col', 'row'].includes(th.getAttribute('scope') ?? ''))).toBe(true);
    expect(screen.getByText(/Impostos calculados sobre o subtotal com desconto/)).toBeTruthy();
  });

  it('formats the decimal strings exactly, in English, without a discount row when there is none, and says when the template is gone', async () => {
    renderApp(
      <InvestmentTable
        investment={{
          ...investment,
          currency: 'USD',
          discount_percent: null,
          discount: '0.00',
          net: '90071992547409.93',
          subtotal: '90071992547409.93',
          taxes: [],
          total: '90071992547409.93', // more digits than a float holds: Number() would print ...409.94
          pricing_source: 'default_template',
          note: 'The template is gone.',
        }}
      />,
      { locale: 'en' },
    );
    expect(await screen.findByText('Investment items')).toBeTruthy();
    expect(footRows()).toEqual([
      ['Subtotal', '$90,071,992,547,409.93'],
      ['Total', '$90,071,992,547,409.93'],
    ]);
    expect(screen.getByText(/no longer available: priced with the default template's currency/)).toBeTruthy();
  });
});

describe('ProposalsList', () => {
  const item = { id: 'p1', client_name: 'Padaria Pão Quente', industry: 'Varejo', status: 'ready', version: 1, created_at: '2026-12-01T10:00:00Z', updated_at: '2026-12-01T10:00:00Z' };

  it('says there are at least as many as the gateway counted, and pages on while it has a next page', async () => {
    const list = { items: [item], total: 1000, total_exact: false, page: 1, page_size: 20, next_cursor: 'next' };
    vi.stubGlobal('fetch', withMe(() => jsonResponse(list)));
    renderApp(<ProposalsList />, { token: 'good-token-123' });
    expect(await screen.findByText('1000+ propostas')).toBeTruthy();
    expect(screen.getByText('Página 1 de 50+')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Próxima' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('stops on the last page', async () => {
    const list = { items: [item], total: 1, total_exact: true, page: 1, page_size: 20, next_cursor: null };
    vi.stubGlobal('fetch', withMe(() => jsonResponse(list)));
    renderApp(<ProposalsList />, { token: 'good-token-123' });
    expect(await screen.findByText('1 propostas')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Próxima' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows the owner of each proposal and lists only mine when asked', async () => {
    const list = { items: [{ ...item, owner: { id: 'u-1', display_name: 'Ana' } }], total: 1, total_exact: true, page: 1, page_size: 20, next_cursor: null };
    const fetchMock = withMe(() => jsonResponse(list));
    vi.stubGlobal('fetch', fetchMock);
    renderApp(<ProposalsList />, { token: 'good-token-123' });
    expect(await screen.findByText('Responsável: Ana')).toBeTruthy();
    const listed = () => fetchMock.mock.calls.map(([url]) => new URL(String(url))).filter((url) => url.pathname === '/api/proposals');
    expect(listed().every((url) => !url.searchParams.has('mine'))).toBe(true);
    fireEvent.click(screen.getByLabelText('Só as minhas'));
    fireEvent.click(screen.getByRole('button', { name: 'Filtrar' }));
    await waitFor(() => expect(listed().at(-1)?.searchParams.get('mine')).toBe('true'));
  });

  it('says once which proposal was just deleted, and takes it off the address', async () => {
    const list = { items: [item], total: 1, total_exact: true, page: 1, page_size: 20, next_cursor: null };
    vi.stubGlobal('fetch', withMe(() => jsonResponse(list)));
    window.history.replaceState(null, '', '/proposals?deleted=Acme%20Log%C3%ADstica');
    renderApp(<ProposalsList />, { token: 'good-token-123' });
    expect(await screen.findByText('A proposta de “Acme Logística” foi excluída.')).toBeTruthy();
    expect(window.location.search).toBe('');
  });
});

describe('TraceLink', () => {
  const url = 'http://127.0.0.1:6006/redirects/traces/4bf92f3577b34da6a3ce929d0e0e4736';

  it("links to the proposal's trace in a new tab, in the chosen language", async () => {
    renderApp(<TraceLink traceUrl={url} />);
    const link = await screen.findByRole('link', { name: 'Ver rastreamento' });
    expect(link.getAttribute('href')).toBe(url);
    expect(link.getAttribute('target')).toBe('_blank');
    expect(link.getAttribute('rel')).toContain('noopener');
  });

  it('says View trace in English', async () => {
    renderApp(<TraceLink traceUrl={url} />, { locale: 'en' });
    expect(await screen.findByRole('link', { name: 'View trace' })).toBeTruthy();
  });

  it('shows nothing without a tracing UI', () => {
    const { container } = renderApp(<TraceLink traceUrl={null} />);
    expect(container.querySelector('a')).toBeNull();
  });
});
