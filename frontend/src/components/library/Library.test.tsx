import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeLibrary, libraryDocument, PERSON_ID, problem, PROPOSAL_ID, ROLE_ID, SEARCH_FULL_TEXT } from '@/lib/library-fake';
import type { Version } from '@/lib/types';
import { renderApp } from '@/test-utils';
import { AddToLibrary } from '../ProposalView';
import { DocumentStatus } from './Documents';
import { Library } from './Library';
import { Snippet } from './Search';

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const money = (locale: string, amount: number, currency = 'BRL') => new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount);

function openTab(name: string) {
  fireEvent.click(screen.getByRole('tab', { name }));
  return screen.getByRole('tabpanel', { name });
}

describe('Library tabs', () => {
  it('moves between tabs with the arrow keys, Home and End, one tab in the tab order', async () => {
    fakeLibrary();
    renderApp(<Library />, { token: 'tok' });
    const tablist = await screen.findByRole('tablist', { name: 'Áreas da biblioteca' });
    const tabs = within(tablist).getAllByRole('tab');
    expect(tabs.map((tab) => tab.textContent)).toEqual(['Empresa', 'Serviços', 'Tabela de preços', 'Pessoas', 'Casos de sucesso', 'Documentos', 'Busca', 'Para revisar']);
    expect(tabs.map((tab) => tab.tabIndex)).toEqual([0, -1, -1, -1, -1, -1, -1, -1]);
    tabs[0]!.focus();
    fireEvent.keyDown(tabs[0]!, { key: 'ArrowRight' });
    expect(document.activeElement).toBe(tabs[1]);
    expect(tabs[1]!.getAttribute('aria-selected')).toBe('true');
    expect(screen.getByRole('tabpanel', { name: 'Serviços' })).toBeTruthy();
    expect(window.location.search).toBe('?tab=services');
    fireEvent.keyDown(tabs[1]!, { key: 'End' });
    expect(document.activeElement).toBe(tabs[7]);
    fireEvent.keyDown(tabs[7]!, { key: 'ArrowRight' });
    expect(document.activeElement).toBe(tabs[0]);
    fireEvent.keyDown(tabs[0]!, { key: 'ArrowLeft' });
    expect(document.activeElement).toBe(tabs[7]);
    fireEvent.keyDown(tabs[7]!, { key: 'Home' });
    expect(tabs[0]!.getAttribute('aria-selected')).toBe('true');
  });

  it('opens the tab the address names', async () => {
    fakeLibrary();
    window.history.replaceState(null, '', '/library?tab=people');
    renderApp(<Library />, { token: 'tok' });
    await waitFor(() => expect(screen.getByRole('tab', { name: 'Pessoas' }).getAttribute('aria-selected')).toBe('true'));
  });
});

describe('Rate card', () => {
  it('shows the current rate as money in the interface locale, and the history newest first', async () => {
    fakeLibrary();
    renderApp(<Library />, { token: 'tok' });
    const panel = openTab('Tabela de preços');
    const rate = await within(panel).findByTestId('current-rate');
    expect(rate.textContent).toBe(`${money('pt-BR', 350)} por hora desde 1 de jan. de 2026`);
    fireEvent.click(within(panel).getByRole('button', { name: 'Histórico: Arquiteto de soluções sênior' }));
    const history = await within(panel).findByRole('region', { name: 'Histórico de valores de “Arquiteto de soluções sênior”' });
    const rows = within(history).getAllByRole('row').slice(1);
    expect(rows.map((row) => row.textContent)).toEqual([`1 de jan. de 2026atual${money('pt-BR', 350)} por hora`, `1 de jan. de 2025${money('pt-BR', 320)} por hora`]);
  });

  it('is read only for a token that is not an admin', async () => {
    fakeLibrary({ principal: { name: 'token:Vendas', admin: false } });
    renderApp(<Library />, { token: 'tok', locale: 'en' });
    const panel = openTab('Rate card');
    expect((await within(panel).findByTestId('current-rate')).textContent).toBe(`${money('en', 350)} per hour since Jan 1, 2026`);
    expect(within(panel).getByText('Read only: only administrators change the rate card.')).toBeTruthy();
    expect(within(panel).queryByRole('button', { name: /Add a rate|New role|^Edit|^Delete/ })).toBeNull();
    expect(within(panel).getByRole('button', { name: 'History: Arquiteto de soluções sênior' })).toBeTruthy();
  });

  it('lets an admin add a rate, sent as the exact decimal typed', async () => {
    const { calls } = fakeLibrary();
    renderApp(<Library />, { token: 'tok' });
    const panel = openTab('Tabela de preços');
    fireEvent.click(await within(panel).findByRole('button', { name: 'Adicionar valor: Arquiteto de soluções sênior' }));
    fireEvent.change(within(panel).getByLabelText('Valor por hora'), { target: { value: '0' } });
    fireEvent.click(within(panel).getByRole('button', { name: 'Adicionar valor' }));
    expect(await within(panel).findByText('Informe um valor maior que zero, com até duas casas decimais.')).toBeTruthy();
    fireEvent.change(within(panel).getByLabelText('Valor por hora'), { target: { value: '1234,50' } });
    fireEvent.change(within(panel).getByLabelText('Válido a partir de'), { target: { value: '2027-01-01' } });
    fireEvent.click(within(panel).getByRole('button', { name: 'Adicionar valor' }));
    expect(await within(panel).findByText(`Valor de ${money('pt-BR', 1234.5)} por hora a partir de 1 de jan. de 2027 adicionado a “Arquiteto de soluções sênior”.`.replace(/\s/g, ' '))).toBeTruthy();
    expect(calls.find((call) => call.path.endsWith('/rates'))?.body).toEqual({ hourly_rate: '1234.50', currency: 'BRL', valid_from: '2027-01-01' });
    // A rate from a later date is the role's next rate; today's stays current.
    expect((await within(panel).findByTestId('next-rate')).textContent).toBe(`${money('pt-BR', 1234.5)} por hora a partir de 1 de jan. de 2027`);
    expect(within(panel).getByTestId('current-rate').textContent).toMatch(money('pt-BR', 350));
    fireEvent.click(within(panel).getByRole('button', { name: 'Histórico: Arquiteto de soluções sênior' }));
    const history = await within(panel).findByRole('region', { name: /^Histórico de valores/ });
    await waitFor(() => expect(within(history).getAllByRole('row').slice(1).map((row) => row.querySelector('th')?.textContent)).toEqual(['1 de jan. de 2027próximo', '1 de jan. de 2026atual', '1 de jan. de 2025']));
  });

  it('says so when the same rate from that date was on the card already (a 200)', async () => {
    fakeLibrary();
    renderApp(<Library />, { token: 'tok', locale: 'en' });
    const panel = openTab('Rate card');
    fireEvent.click(await within(panel).findByRole('button', { name: 'Add a rate: Arquiteto de soluções sênior' }));
    fireEvent.change(within(panel).getByLabelText('Hourly rate'), { target: { value: '350' } });
    fireEvent.change(within(panel).getByLabelText('Valid from'), { target: { value: '2026-01-01' } });
    fireEvent.click(within(panel).getByRole('button', { name: 'Add a rate' }));
    expect(await within(panel).findByText(`The rate of ${money('en', 350)} per hour from Jan 1, 2026 was already on “Arquiteto de soluções sênior”.`)).toBeTruthy();
  });
});

describe('People', () => {
  it('asks the gateway for the active people by default, and for everyone or the inactive ones on request', async () => {
    const { calls } = fakeLibrary();
    renderApp(<Library />, { token: 'tok' });
    const panel = openTab('Pessoas');
    await within(panel).findByRole('row', { name: /Ana Souza/ });
    expect(within(panel).queryByRole('row', { name: /Bruno Lima/ })).toBeNull();
    expect(calls.filter((call) => call.path === '/api/library/people').at(-1)!.search).toBe('?limit=50&active=true');
    fireEvent.change(within(panel).getByLabelText('Mostrar'), { target: { value: 'all' } });
    expect((await within(panel).findByRole('row', { name: /Bruno Lima/ })).textContent).toMatch(/Sem papel—inativa/);
    expect(calls.filter((call) => call.path === '/api/library/people').at(-1)!.search).toBe('?limit=50');
    expect(within(panel).getByRole('row', { name: /Ana Souza/ }).textContent).toMatch(/Arquiteto de soluções sêniorSênior/);
    fireEvent.change(within(panel).getByLabelText('Mostrar'), { target: { value: 'inactive' } });
    await waitFor(() => expect(within(panel).queryByRole('row', { name: /Ana Souza/ })).toBeNull());
    expect(calls.filter((call) => call.path === '/api/library/people').at(-1)!.search).toBe('?limit=50&active=false');
  });

  it('shows the 422 field errors next to their fields, in the interface language', async () => {
    fakeLibrary({
      override: (call) =>
        call.method === 'POST' && call.path === '/api/library/people'
          ? problem(422, 'name: String should have at most 200 characters', { errors: [{ field: 'name', message: 'String should have at most 200 characters', type: 'string_too_long', limits: { max_length: 200 } }, { field: 'skills.1', message: 'String should have at least 1 character', type: 'string_too_short', limits: { min_length: 1 } }] })
          : undefined,
    });
    renderApp(<Library />, { token: 'tok' });
    const panel = openTab('Pessoas');
    fireEvent.click(await within(panel).findByRole('button', { name: 'Nova pessoa' }));
    const form = within(panel).getByRole('form', { name: 'Nova pessoa' });
    fireEvent.click(within(form).getByRole('button', { name: 'Salvar' }));
    expect(await within(form).findByText('Campo obrigatório.')).toBeTruthy();
    fireEvent.change(within(form).getByLabelText('Nome'), { target: { value: 'N'.repeat(201) } });
    fireEvent.click(within(form).getByRole('button', { name: 'Salvar' }));
    expect(await within(form).findByText('Use no máximo 200 caracteres.')).toBeTruthy();
    expect(within(form).getByText('Use pelo menos 1 caracteres.')).toBeTruthy();
    expect(within(form).getByLabelText('Nome').getAttribute('aria-invalid')).toBe('true');
    expect(within(form).getByText('Confira os campos destacados.')).toBeTruthy();
  });

  it('creates a person with lists split by line and the chosen role', async () => {
    const { calls } = fakeLibrary();
    renderApp(<Library />, { token: 'tok' });
    const panel = openTab('Pessoas');
    fireEvent.click(await within(panel).findByRole('button', { name: 'Nova pessoa' }));
    const form = within(panel).getByRole('form', { name: 'Nova pessoa' });
    fireEvent.change(within(form).getByLabelText('Nome'), { target: { value: 'Carla Dias' } });
    await within(form).findByRole('option', { name: 'Arquiteto de soluções sênior' });
    fireEvent.change(within(form).getByLabelText('Papel na tabela de preços'), { target: { value: ROLE_ID } });
    fireEvent.change(within(form).getByLabelText(/^Competências/), { target: { value: 'Kafka\n\n  SAP  \n' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Salvar' }));
    expect(await within(panel).findByText('“Carla Dias” salvo.')).toBeTruthy();
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({ name: 'Carla Dias', role_id: ROLE_ID, seniority: null, bio: '', skills: ['Kafka', 'SAP'], certifications: [], languages: [], active: true, owner: 'admin', review_by: null, language: 'pt-BR' });
    expect(within(panel).getByRole('row', { name: /Carla Dias/ })).toBeTruthy();
  });

  it('asks before deleting a person and says it removes them from search at once', async () => {
    const { calls } = fakeLibrary();
    renderApp(<Library />, { token: 'tok' });
    const panel = openTab('Pessoas');
    fireEvent.click(await within(panel).findByRole('button', { name: 'Excluir: Ana Souza' }));
    const question = within(panel).getByRole('group', { name: /Excluir “Ana Souza”\?/ });
    expect(question.textContent).toMatch(/saem da busca na hora/);
    await waitFor(() => expect(document.activeElement).toBe(within(question).getByRole('button', { name: 'Cancelar' })));
    expect(calls.some((call) => call.method === 'DELETE')).toBe(false);
    fireEvent.click(within(question).getByRole('button', { name: 'Excluir' }));
    expect(await within(panel).findByText('“Ana Souza” excluído.')).toBeTruthy();
    expect(calls.find((call) => call.method === 'DELETE')?.path).toBe(`/api/library/people/${PERSON_ID}`);
  });
});

describe('Company', () => {
  it('offers an empty form when there is no profile in a language, and saves it with PUT', async () => {
    const { calls } = fakeLibrary();
    renderApp(<Library />, { token: 'tok', locale: 'en' });
    const panel = screen.getByRole('tabpanel', { name: 'Company' });
    expect(await within(panel).findByText(/There is no profile in this language yet/)).toBeTruthy();
    fireEvent.change(within(panel).getByLabelText(/^Description/), { target: { value: 'A consultancy.' } });
    fireEvent.change(within(panel).getByLabelText(/^Owner/), { target: { value: '' } });
    fireEvent.change(within(panel).getByLabelText(/^Certifications/), { target: { value: 'ISO 27001\nAWS Advanced Partner' } });
    fireEvent.click(within(panel).getByRole('button', { name: 'Save' }));
    expect(await within(panel).findByText('“Company profile in English” saved.')).toBeTruthy();
    expect(calls.find((call) => call.method === 'PUT')).toMatchObject({ path: '/api/library/company/en', body: { description: 'A consultancy.', certifications: ['ISO 27001', 'AWS Advanced Partner'], partnerships: [], owner: null } });
    // Saved without an owner, the gateway made the caller the owner.
    expect((within(panel).getByLabelText(/^Owner/) as HTMLInputElement).value).toBe('admin');
  });
});

describe('Documents', () => {
  it('uploads a chosen file and follows its status to indexed', async () => {
    const { calls } = fakeLibrary({
      documentStates: [
        { status: 'indexing', pages_total: 4, pages_done: 1 },
        { status: 'indexing', pages_total: 4, pages_done: 3 },
        { status: 'indexed', pages_total: 4, pages_done: 4, passage_count: 18, ocr_pages: 2 },
      ],
    });
    renderApp(<Library pollMs={5} />, { token: 'tok' });
    const panel = openTab('Documentos');
    expect(await within(panel).findByText('Nada aqui ainda.')).toBeTruthy();
    fireEvent.change(within(panel).getByLabelText('Categoria'), { target: { value: 'methodology' } });
    const file = new File(['%PDF-1.7'], 'proposta-acme.pdf', { type: 'application/pdf' });
    fireEvent.change(within(panel).getByLabelText('Ou escolha os arquivos'), { target: { files: [file] } });
    const status = await within(panel).findByTestId('document-status');
    expect(status.textContent).toMatch(/Enviado, aguardando a indexação|Indexando/);
    await waitFor(() => expect(within(panel).getByTestId('document-status').textContent).toBe('Indexado: 18 trechosPáginas lidas por OCR: 2'));
    const upload = calls.find((call) => call.method === 'POST')!;
    expect((upload.body as FormData).get('category')).toBe('methodology');
    const polls = calls.filter((call) => call.method === 'GET' && call.path.startsWith('/api/library/documents/')).length;
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    expect(calls.filter((call) => call.method === 'GET' && call.path.startsWith('/api/library/documents/')).length).toBe(polls);
  });

  it('sends the title, person, owner and review date given, says when the content was there already, and shows the passages', async () => {
    const { calls } = fakeLibrary({ documentStates: [{ status: 'indexed', pages_total: 2, pages_done: 2, passage_count: 3 }] });
    renderApp(<Library pollMs={5} />, { token: 'tok' });
    const panel = openTab('Documentos');
    expect(within(panel).queryByLabelText('Pessoa (dona do currículo)')).toBeNull();
    fireEvent.change(within(panel).getByLabelText('Categoria'), { target: { value: 'cv' } });
    fireEvent.change(await within(panel).findByLabelText('Pessoa (dona do currículo)'), { target: { value: PERSON_ID } });
    await within(panel).findByRole('option', { name: 'Ana Souza' });
    fireEvent.change(within(panel).getByLabelText('Pessoa (dona do currículo)'), { target: { value: PERSON_ID } });
    fireEvent.change(within(panel).getByLabelText(/^Título/), { target: { value: 'Currículo da Ana' } });
    fireEvent.change(within(panel).getByLabelText(/^Responsável/), { target: { value: 'RH' } });
    fireEvent.change(within(panel).getByLabelText(/^Revisar até/), { target: { value: '2027-03-31' } });
    const file = new File(['# Ana Souza\n\nArquiteta.'], 'ana.md', { type: 'text/markdown' });
    fireEvent.change(within(panel).getByLabelText('Ou escolha os arquivos'), { target: { files: [file] } });
    const row = await within(panel).findByRole('row', { name: /Currículo da Ana/ });
    const form = calls.find((call) => call.method === 'POST')!.body as FormData;
    expect(['title', 'category', 'person_id', 'owner', 'review_by', 'language'].map((key) => form.get(key))).toEqual(['Currículo da Ana', 'cv', PERSON_ID, 'RH', '2027-03-31', null]);
    await waitFor(() => expect(row.getAttribute('data-status')).toBe('indexed'));
    fireEvent.click(within(row).getByRole('button', { name: 'Trechos de “Currículo da Ana”' }));
    const passages = await within(panel).findByRole('region', { name: 'Trechos de “Currículo da Ana”' });
    await waitFor(() => expect(within(passages).getAllByRole('listitem')).toHaveLength(3));
    expect(passages.textContent).toMatch(/Escopo › Fase 1página 2/);
    expect(calls.find((call) => call.path.endsWith('/passages'))!.search).toBe('?limit=20');

    fireEvent.change(within(panel).getByLabelText('Ou escolha os arquivos'), { target: { files: [new File(['# Ana Souza\n\nArquiteta.'], 'copia.md')] } });
    expect(await within(panel).findByText('O conteúdo de “copia.md” já estava na biblioteca, como “Currículo da Ana”.')).toBeTruthy();
    expect(panel.querySelectorAll('tr[data-document]')).toHaveLength(1);
  });

  it("says why the gateway refused a file too large (413) in the interface's language", async () => {
    fakeLibrary({ override: (call) => (call.method === 'POST' ? problem(413, 'The library takes files up to 25 MB; the file is larger.') : undefined) });
    renderApp(<Library />, { token: 'tok', locale: 'en' });
    const panel = openTab('Documents');
    fireEvent.change(within(panel).getByLabelText('Or choose the files'), { target: { files: [new File(['%PDF-1.7'], 'big.pdf')] } });
    expect(await within(panel).findByText(/^Could not upload “big.pdf”: /)).toBeTruthy();
  });

  it('accepts files dropped on the drop zone', async () => {
    const { calls } = fakeLibrary();
    renderApp(<Library pollMs={5} />, { token: 'tok' });
    const panel = openTab('Documentos');
    const zone = within(panel).getByTestId('dropzone');
    const file = new File(['# Método'], 'metodo.md', { type: 'text/markdown' });
    fireEvent.dragEnter(zone, { dataTransfer: { files: [], dropEffect: 'none' } });
    expect(zone.textContent).toMatch('Solte para enviar');
    fireEvent.drop(zone, { dataTransfer: { files: [file] } });
    await waitFor(() => expect(calls.some((call) => call.method === 'POST')).toBe(true));
    expect(((calls.find((call) => call.method === 'POST')!.body as FormData).get('file') as File).name).toBe('metodo.md');
  });

  it("says why an upload was refused in the interface's language", async () => {
    fakeLibrary({ override: (call) => (call.method === 'POST' ? problem(415, 'application/zip is not accepted') : undefined) });
    renderApp(<Library />, { token: 'tok', locale: 'en' });
    const panel = openTab('Documents');
    fireEvent.change(within(panel).getByLabelText('Or choose the files'), { target: { files: [new File(['PK'], 'a.zip')] } });
    expect(await within(panel).findByText(/^Could not upload “a.zip”: File type not accepted\./)).toBeTruthy();
  });

  it('shows progress while indexing and the worded reason of a failure', () => {
    fakeLibrary();
    renderApp(<DocumentStatus document={libraryDocument({ status: 'indexing', pages_total: 10, pages_done: 4 })} />, { token: 'tok' });
    const progress = screen.getByRole('progressbar', { name: 'Progresso da indexação de “proposta-acme”' }) as HTMLProgressElement;
    expect([progress.value, progress.max]).toEqual([4, 10]);
    expect(screen.getByText('Indexando: página 4 de 10')).toBeTruthy();
    cleanup();
    renderApp(<DocumentStatus document={libraryDocument({ status: 'failed', failure_code: 'no_text', failure_reason: 'scanned PDF and OCR found no text' })} />);
    expect(screen.getByRole('status').textContent).toBe('Falhou: nenhum texto encontrado: é um PDF digitalizado e o OCR não achou texto legível.');
    expect(screen.queryByRole('progressbar')).toBeNull();
  });
});

describe('Search', () => {
  it('shows results with their source, the matched words marked, and the text-only notice', async () => {
    const { calls } = fakeLibrary();
    renderApp(<Library />, { token: 'tok' });
    const panel = openTab('Busca');
    fireEvent.click(within(panel).getByRole('button', { name: 'Buscar' }));
    expect(await within(panel).findByText('Digite o que procurar.')).toBeTruthy();
    fireEvent.change(within(panel).getByLabelText('O que procurar'), { target: { value: 'migração nuvem' } });
    fireEvent.change(within(panel).getByLabelText('Tipo'), { target: { value: 'past_proposal' } });
    fireEvent.click(within(panel).getByRole('button', { name: 'Buscar' }));
    const [result] = await within(panel).findAllByRole('listitem');
    if (!result) throw new Error('no result');
    expect(within(result).getByRole('heading', { name: 'Proposta Acme 2025' })).toBeTruthy();
    expect(result.textContent).toMatch('Proposta anteriorEscopo › Fase 1página 3');
    expect(Array.from(result.querySelectorAll('mark')).map((mark) => mark.textContent)).toEqual(['migração', 'nuvem']);
    expect(result.querySelector('b')).toBeNull();
    expect(result.querySelector('.snippet')?.textContent).toBe(SEARCH_FULL_TEXT.results[0]!.snippet);
    expect(within(panel).getByText('Busca apenas por texto: nenhum modelo de embeddings configurado.')).toBeTruthy();
    expect(calls.at(-1)!.search).toBe('?q=migra%C3%A7%C3%A3o+nuvem&kind=past_proposal&limit=20');
  });

  it('shows no notice for a hybrid search, and words the notice in English', async () => {
    fakeLibrary({ search: { ...SEARCH_FULL_TEXT, mode: 'hybrid', mode_reason: null, embedding_model: 'bge-m3' } });
    renderApp(<Library />, { token: 'tok', locale: 'en' });
    const panel = openTab('Search');
    fireEvent.change(within(panel).getByLabelText('What to look for'), { target: { value: 'cloud' } });
    fireEvent.click(within(panel).getByRole('button', { name: 'Search' }));
    expect(await within(panel).findByText('2 passages found.')).toBeTruthy();
    expect(within(panel).queryByText(/Text-only search/)).toBeNull();
  });

  it('renders a snippet as text, never as HTML', () => {
    renderApp(<Snippet text={'<img src=x onerror="alert(1)"> ok'} highlights={[[31, 33]]} />);
    expect(document.querySelector('img')).toBeNull();
    expect(document.querySelector('mark')?.textContent).toBe('ok');
  });
});

describe('Stale entries', () => {
  it('lists them oldest first and links each to its edit form', async () => {
    fakeLibrary();
    renderApp(<Library />, { token: 'tok' });
    const panel = openTab('Para revisar');
    const link = await within(panel).findByRole('link', { name: 'Editar “Ana Souza”' });
    expect(within(panel).getAllByRole('row').slice(1).map((row) => row.textContent)).toEqual([
      '15 de jan. de 2026cliente anonimizado · Saúde (2025)Caso de sucessoadmin',
      '1 de mar. de 2026Ana SouzaPessoatoken:Ops',
    ]);
    expect(link.getAttribute('href')).toBe(`/library?tab=people&edit=${PERSON_ID}`);
    fireEvent.click(link);
    const people = screen.getByRole('tabpanel', { name: 'Pessoas' });
    const form = await within(people).findByRole('form', { name: 'Editar “Ana Souza”' });
    expect((within(form).getByLabelText('Nome') as HTMLInputElement).value).toBe('Ana Souza');
  });
});

describe('Adding a proposal to the library', () => {
  const version = (n: number, pdf: boolean): Version => ({ version: n, origin: 'draft', created_at: '2026-12-01T10:00:00Z', pdf_url: pdf ? `/api/proposals/${PROPOSAL_ID}/versions/${n}/pdf` : null }) as Version;

  it('is offered only once a version has a PDF', () => {
    fakeLibrary();
    renderApp(<AddToLibrary proposalId={PROPOSAL_ID} versions={[version(1, false)]} />, { token: 'tok' });
    expect(screen.queryByRole('button', { name: 'Adicionar à biblioteca' })).toBeNull();
  });

  it('adds the newest version with a PDF and shows what the gateway answered, then that it was there already', async () => {
    const { calls } = fakeLibrary();
    renderApp(<AddToLibrary proposalId={PROPOSAL_ID} versions={[version(1, true), version(2, false)]} />, { token: 'tok' });
    expect(screen.getByText(/as seções da versão 1/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Adicionar à biblioteca' }));
    expect((await screen.findByRole('status')).textContent).toBe('Adicionada à biblioteca como “Padaria Pão Quente (v1)”. Enviado, aguardando a indexação. Ver nos documentos da biblioteca');
    expect(calls.at(-1)).toMatchObject({ method: 'POST', path: '/api/library/documents/from-proposal', body: { proposal_id: PROPOSAL_ID, version: 1 } });
    expect(screen.getByRole('link', { name: 'Ver nos documentos da biblioteca' }).getAttribute('href')).toBe('/library?tab=documents');
    fireEvent.click(screen.getByRole('button', { name: 'Adicionar à biblioteca' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toMatch(/^Esta versão já estava na biblioteca, como “Padaria Pão Quente \(v1\)”/));
  });

  it("words the gateway's refusal", async () => {
    fakeLibrary();
    renderApp(<AddToLibrary proposalId="6f1c0c1e-2b1a-4c55-9d0e-7a1f00009999" versions={[version(1, true)]} />, { token: 'tok', locale: 'en' });
    fireEvent.click(screen.getByRole('button', { name: 'Add to the library' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The proposal (or this version) was not found. Reload the page.');
  });
});
