import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { groundedProposal, ANALYST, ARCHITECT, CASE_ENTRY, PROPOSAL_ID } from '@/lib/grounding-fixture';
import type { Effort } from '@/lib/types';
import { jsonResponse, renderApp, withMe } from '@/test-utils';
import { BudgetSentence, checkHours, EffortPanel, libraryHref, SearchModeNote, SectionFlags, SectionSourcesList, TeamPeople } from './Grounding';
import { ProposalView } from './ProposalView';

afterEach(() => vi.unstubAllGlobals());

const proposal = groundedProposal();
const differentials = proposal.sources[0]!.sources;
const effort = proposal.effort as Effort;
/** A money amount as Intl writes it, with any kind of space between the symbol and the number. */
const spaced = (text: string) => new RegExp(text.replace(/[.$]/g, (char) => `\\${char}`).replace(/ /g, '\\s'));

describe('sources beside a section', () => {
  it('lists each source compactly and opens its passage as a disclosure, with a link to the library', async () => {
    renderApp(<SectionSourcesList sources={differentials} sectionKey="differentials" sectionTitle="Diferenciais" />);
    const toggle = await screen.findByRole('button', { name: /Caso de sucesso\s*Varejo: plataforma de e-commerce lenta/ });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    const passage = document.getElementById(toggle.getAttribute('aria-controls') ?? '')!;
    expect(passage.hidden).toBe(true);
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(passage.hidden).toBe(false);
    expect(within(passage).getByText(/em 12 semanas/)).toBeTruthy();
    expect(within(passage).getByRole('link', { name: 'Abrir na biblioteca' }).getAttribute('href')).toBe(`/library?tab=case-studies&edit=${CASE_ENTRY}`);
    // Esc inside the passage closes it and gives the focus back to its button.
    within(passage).getByRole('link').focus();
    fireEvent.keyDown(within(passage).getByRole('link'), { key: 'Escape' });
    expect(passage.hidden).toBe(true);
    expect(document.activeElement).toBe(toggle);
  });

  it("shows a document's category, heading path and page, and links to the documents tab", async () => {
    renderApp(<SectionSourcesList sources={differentials} sectionKey="differentials" sectionTitle="Differentials" />, { locale: 'en' });
    const toggle = await screen.findByRole('button', { name: /Past proposal\s*Proposta Rede Sul 2025\s*Metodologia › Fases · p\. 4/ });
    fireEvent.click(toggle);
    expect(screen.getByRole('link', { name: 'Open the library’s documents' }).getAttribute('href')).toBe('/library?tab=documents');
    expect(screen.getByRole('heading', { name: /Sources \(2 library sources\)/ })).toBeTruthy();
  });

  it('links entries to their Library tab', () => {
    expect(libraryHref({ kind: 'service', entry_id: 'a', document_id: null })).toBe('/library?tab=services&edit=a');
    expect(libraryHref({ kind: 'person', entry_id: 'b', document_id: null })).toBe('/library?tab=people&edit=b');
    expect(libraryHref({ kind: 'company', entry_id: 'c', document_id: null })).toBe('/library?tab=company');
    expect(libraryHref({ kind: 'cv', entry_id: null, document_id: 'd' })).toBe('/library?tab=documents');
    expect(libraryHref({ kind: 'mystery', entry_id: 'e', document_id: null })).toBeNull();
  });
});

describe('flags', () => {
  it('marks a section with the claims no source supports, and why, in Portuguese', async () => {
    renderApp(<SectionFlags flags={proposal.flags} />);
    const marker = await screen.findByRole('note', { name: /2 afirmações sem fonte — revisar/ });
    const items = within(marker).getAllByRole('listitem');
    expect(items.map((item) => item.textContent)).toEqual([
      '“Somos certificados ISO 27001.” — uma certificação que nenhuma fonte citada menciona'.replace(/[“”]/g, ''),
      'Atendemos 300 clientes. — um número que nenhuma fonte citada traz',
    ]);
  });

  it('says it in English, and shows nothing without flags', async () => {
    const { container } = renderApp(
      <>
        <SectionFlags flags={[{ section: 'terms', text: 'We have 20 years of experience.', reason: 'no_source' }]} />
        <SectionFlags flags={[]} />
      </>,
      { locale: 'en' },
    );
    expect(await screen.findByRole('note', { name: 'Claim without a source — review' })).toBeTruthy();
    expect(screen.getByText(/no cited source supports this claim/)).toBeTruthy();
    expect(container.querySelectorAll('.flag-marker')).toHaveLength(1);
  });
});

describe('team', () => {
  it('shows the people as the roster had them, seniority worded', async () => {
    renderApp(<TeamPeople team={proposal.team} />);
    const card = (await screen.findByText('Ana Lima')).closest('li')!;
    expect(card.textContent).toContain('Arquiteto de soluções · Sênior');
    expect(card.textContent).toContain('Nesta proposta: Lidera a arquitetura da migração');
    expect(card.textContent).toContain('Ana desenha migrações para a nuvem há dez anos.');
  });
});

describe('effort', () => {
  it("shows the gateway's amounts and total formatted as money, and a dash with a note for a line without a rate", async () => {
    renderApp(<EffortPanel effort={effort} busy={false} onSave={vi.fn()} />);
    const rows = await screen.findAllByRole('row');
    expect(rows[1]!.textContent).toMatch(spaced('DescobertaArquiteto de soluções40R$ 187,35R$ 7.494,00'));
    expect(rows[3]!.textContent).toBe('ConstruçãoAnalista20——');
    expect(screen.getByTestId('effort-total').textContent?.replace(/\s/g, ' ')).toBe('R$ 22.482,00');
    expect(screen.getByText(/1 linha sem valor por hora na tabela de preços/)).toBeTruthy();
  });

  it('formats money in English from the decimal strings, and shows the total the API gave even when the lines disagree', async () => {
    // The browser never adds amounts: a total that is not the sum of the lines is shown as it is.
    const odd: Effort = { ...effort, total: '1234567.89' };
    renderApp(<EffortPanel effort={odd} busy={false} onSave={vi.fn()} />, { locale: 'en' });
    expect((await screen.findByTestId('effort-total')).textContent).toBe('R$1,234,567.89');
    expect(screen.getAllByRole('row')[1]!.textContent).toContain('R$7,494.00');
  });

  it('edits hours and sends exactly the phases, roles and hours, never an amount or a total', async () => {
    const onSave = vi.fn(async () => undefined);
    renderApp(<EffortPanel effort={effort} busy={false} onSave={onSave} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Editar horas' }));
    const first = screen.getByLabelText('Horas de Arquiteto de soluções em Descoberta') as HTMLInputElement;
    await waitFor(() => expect(document.activeElement).toBe(first));
    expect(first.value).toBe('40');
    fireEvent.change(first, { target: { value: '12.5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Salvar horas' }));
    await waitFor(() => expect(onSave).toHaveBeenCalledTimes(1));
    expect(onSave.mock.calls[0]).toEqual([
      {
        lines: [
          { phase: 'Descoberta', role_id: ARCHITECT, hours: '12.5' },
          { phase: 'Construção', role_id: ARCHITECT, hours: '80' },
          { phase: 'Construção', role_id: ANALYST, hours: '20' },
        ],
      },
    ]);
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Salvar horas' })).toBeNull());
  });

  it('checks the hours before sending, in the interface language, and cancel restores them', async () => {
    const onSave = vi.fn(async () => undefined);
    renderApp(<EffortPanel effort={effort} busy={false} onSave={onSave} />, { locale: 'en' });
    fireEvent.click(await screen.findByRole('button', { name: 'Edit hours' }));
    const first = screen.getByLabelText('Hours of Arquiteto de soluções in Descoberta');
    const second = screen.getByLabelText('Hours of Arquiteto de soluções in Construção');
    fireEvent.change(first, { target: { value: '' } });
    fireEvent.change(second, { target: { value: '0' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save hours' }));
    expect(await screen.findByText('Enter the hours.')).toBeTruthy();
    expect(screen.getByText('Use a number above zero, with at most two decimal places.')).toBeTruthy();
    expect(first.getAttribute('aria-invalid')).toBe('true');
    expect(first.getAttribute('aria-describedby')).toBe('effort-hours-0-error');
    await waitFor(() => expect(document.activeElement).toBe(first));
    expect(onSave).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.getAllByRole('row')[1]!.textContent).toContain('40');
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Edit hours' })));
    fireEvent.click(screen.getByRole('button', { name: 'Edit hours' }));
    expect((screen.getByLabelText('Hours of Arquiteto de soluções in Descoberta') as HTMLInputElement).value).toBe('40');
    expect(screen.queryByText('Enter the hours.')).toBeNull();
  });

  it('reads hours as the API takes them', () => {
    expect(checkHours(' 12,5 ')).toEqual({ hours: '12.5' });
    expect(checkHours('0.01')).toEqual({ hours: '0.01' });
    expect(checkHours('1.234')).toEqual({ error: 'grounding.hours.invalid' });
    expect(checkHours('-3')).toEqual({ error: 'grounding.hours.invalid' });
    expect(checkHours('0.00')).toEqual({ error: 'grounding.hours.invalid' });
    expect(checkHours('100000')).toEqual({ hours: '100000' });
    expect(checkHours('100000.01')).toEqual({ error: 'grounding.hours.tooMany' });
  });

  it('disables editing while a new version is being made', async () => {
    renderApp(<EffortPanel effort={effort} busy onSave={vi.fn()} />);
    expect(((await screen.findByRole('button', { name: 'Editar horas' })) as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('budget comparison', () => {
  it('is one sentence with the percentage, coloured by its verdict', async () => {
    renderApp(<BudgetSentence comparison={{ budget: '20000.00', total: '22482.00', currency: 'BRL', verdict: 'over', difference_percent: '12.41' }} />);
    const box = await screen.findByTestId('budget-comparison');
    expect(box.className).toContain('budget-over');
    expect(box.textContent).toMatch(spaced('Acima do orçamentoO total de R$ 22.482,00 está 12,41% acima do orçamento de R$ 20.000,00.'));
  });

  it('says under and within in English, with the percentage without its sign', async () => {
    renderApp(
      <>
        <BudgetSentence comparison={{ budget: '20000.00', total: '15000.00', currency: 'USD', verdict: 'under', difference_percent: '-25.00' }} />
        <BudgetSentence comparison={{ budget: '20000.00', total: '19000.00', currency: 'USD', verdict: 'within', difference_percent: '-5.00' }} />
        <BudgetSentence comparison={{ budget: '20000.00', total: '20000.00', currency: 'USD', verdict: 'within', difference_percent: '0.00' }} />
      </>,
      { locale: 'en' },
    );
    const [under, within_, exact] = await screen.findAllByTestId('budget-comparison');
    expect(under!.textContent).toContain('The total of $15,000.00 is 25% under the budget of $20,000.00.');
    expect(under!.className).toContain('budget-under');
    expect(within_!.textContent).toContain('The total of $19,000.00 is within the budget of $20,000.00 (5% below).');
    expect(exact!.textContent).toContain('The total of $20,000.00 is within the budget of $20,000.00.');
  });
});

describe('search mode', () => {
  it('notes a draft without the library or searched by text only, and nothing for a hybrid search', async () => {
    const { container } = renderApp(
      <>
        <SearchModeNote mode="none" />
        <SearchModeNote mode="full_text" />
        <SearchModeNote mode="hybrid" />
        <SearchModeNote mode={null} />
      </>,
    );
    const notes = await screen.findAllByTestId('search-mode');
    expect(notes.map((note) => note.textContent)).toEqual([
      'Rascunho sem biblioteca: nenhum trecho da biblioteca foi encontrado para este pedido.',
      'Biblioteca consultada só por texto: trechos com o mesmo sentido, mas outras palavras, podem ter ficado de fora.',
    ]);
    expect(container.querySelectorAll('[data-testid="search-mode"]')).toHaveLength(2);
  });
});

describe('the proposal page of a grounded proposal', () => {
  it('shows sources, flags, team, effort and budget, and an hours edit PATCHes the effort then follows the new version', async () => {
    let current = groundedProposal();
    const calls: Array<{ method: string; path: string; body: unknown }> = [];
    const fetchMock = withMe(async (url, init) => {
      const path = new URL(url).pathname;
      const method = init?.method ?? 'GET';
      calls.push({ method, path, body: init?.body ? JSON.parse(String(init.body)) : undefined });
      if (path === `/api/proposals/${PROPOSAL_ID}/effort` && method === 'PATCH') {
        current = groundedProposal({
          version: 2,
          status: 'rendering',
          effort: { ...effort, lines: effort.lines.map((line, index) => (index === 0 ? { ...line, hours: '10.00', amount: '1873.50' } : line)), total: '16861.50' },
        });
        return jsonResponse(current, 202);
      }
      if (path === `/api/proposals/${PROPOSAL_ID}`) return jsonResponse(current);
      if (path === `/api/proposals/${PROPOSAL_ID}/versions`) return jsonResponse({ items: [] });
      return jsonResponse({ title: 'Not Found', status: 404 }, 404);
    });
    vi.stubGlobal('fetch', fetchMock);
    renderApp(<ProposalView id={PROPOSAL_ID} />, { token: 't' });

    const differentials = (await screen.findByRole('heading', { name: 'Diferenciais' })).closest('article')!;
    expect(within(differentials).getByRole('note', { name: /2 afirmações sem fonte/ })).toBeTruthy();
    expect(within(differentials).getAllByRole('button', { expanded: false })).toHaveLength(2);
    const team = screen.getByRole('heading', { name: 'Equipe' }).closest('article')!;
    expect(within(team).getByText('Ana Lima')).toBeTruthy();
    expect(screen.getByTestId('search-mode').textContent).toMatch(/só por texto/);
    const investment = screen.getByRole('heading', { name: 'Investimento' }).closest('article')!;
    expect(within(investment).getByTestId('budget-comparison').textContent).toMatch(/12,41% acima do orçamento/);
    expect(within(investment).getByTestId('effort-total').textContent).toMatch(spaced('R$ 22.482,00'));

    fireEvent.click(within(investment).getByRole('button', { name: 'Editar horas' }));
    fireEvent.change(within(investment).getByLabelText('Horas de Arquiteto de soluções em Descoberta'), { target: { value: '10' } });
    fireEvent.click(within(investment).getByRole('button', { name: 'Salvar horas' }));
    await waitFor(() => expect(screen.getByTestId('effort-total').textContent).toMatch(spaced('R$ 16.861,50')));
    const patch = calls.filter((call) => call.method === 'PATCH');
    expect(patch).toEqual([
      {
        method: 'PATCH',
        path: `/api/proposals/${PROPOSAL_ID}/effort`,
        body: {
          lines: [
            { phase: 'Descoberta', role_id: ARCHITECT, hours: '10' },
            { phase: 'Construção', role_id: ARCHITECT, hours: '80' },
            { phase: 'Construção', role_id: ANALYST, hours: '20' },
          ],
        },
      },
    ]);
    // After the PATCH the page asks the gateway for the new version (as after a section edit).
    expect(calls.filter((call) => call.method === 'GET' && call.path === `/api/proposals/${PROPOSAL_ID}`).length).toBeGreaterThanOrEqual(2);
    expect(screen.getByText('Versão 2')).toBeTruthy();
  });

  it("shows the gateway's refusal of an unknown role and keeps the hours being edited", async () => {
    const fetchMock = withMe(async (url, init) => {
      const path = new URL(url).pathname;
      if (init?.method === 'PATCH') {
        return jsonResponse({ title: 'Unprocessable Entity', status: 422, detail: "These roles are not on the rate card recorded with this proposal's current version: x." }, 422);
      }
      if (path === `/api/proposals/${PROPOSAL_ID}`) return jsonResponse(groundedProposal());
      if (path.endsWith('/versions')) return jsonResponse({ items: [] });
      return jsonResponse({ title: 'Not Found', status: 404 }, 404);
    });
    vi.stubGlobal('fetch', fetchMock);
    renderApp(<ProposalView id={PROPOSAL_ID} />, { token: 't' });
    fireEvent.click(await screen.findByRole('button', { name: 'Editar horas' }));
    fireEvent.click(screen.getByRole('button', { name: 'Salvar horas' }));
    expect(await screen.findByText(/O sistema recusou as horas: These roles are not on the rate card/)).toBeTruthy();
    await waitFor(() => expect(document.activeElement?.id).toBe('effort-problem'));
    expect(screen.getByRole('button', { name: 'Salvar horas' })).toBeTruthy();
  });
});
