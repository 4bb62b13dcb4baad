// Browser tests of the Library area (issue #14): the built front end in Chromium against the fake library gateway
// (library-fake.mjs: it answers as the real routes do, checked against docs/openapi.json), for the states the real
// system makes slowly or not at all (page-by-page progress, every tab's content). axe-core runs on every tab.
// frontend.test.mjs runs the main flows against the real gateway and library service.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, launchBrowser, screenshot, seriousViolations, startFrontend } from './harness.mjs';
import { FAKE_GATEWAY, installFakeGateway, ROLE_ID } from './library-fake.mjs';

const TOKEN = 'e2e-library-token';
const TABS = ['Empresa', 'Serviços', 'Tabela de preços', 'Pessoas', 'Casos de sucesso', 'Documentos', 'Busca', 'Para revisar'];

let frontend;
let browser;
let page;
let gateway;

async function assertAccessible(name) {
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], `axe found serious or critical violations on ${name}`);
}

const panel = (name) => page.getByRole('tabpanel', { name });
const selectedTab = () => page.locator('[role="tab"][aria-selected="true"]').innerText();
const focusedTab = () => page.evaluate(() => (document.activeElement?.getAttribute('role') === 'tab' ? document.activeElement.textContent : null));

/** Wait until a tab's panel has loaded (no loading indicator left in it). */
async function loaded(name) {
  const region = panel(name);
  await region.waitFor();
  await page.waitForFunction((id) => !document.getElementById(id)?.querySelector('.loading'), await region.getAttribute('id'));
}

describe('the Library area', { timeout: 300_000 }, () => {
  before(async () => {
    const port = await freePort();
    frontend = await startFrontend({ apiUrl: FAKE_GATEWAY, port });
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'pt-BR' });
    page = await context.newPage();
    gateway = await installFakeGateway(page, { frontendOrigin: frontend.url });
  });

  after(async () => {
    await browser?.close();
    await frontend?.stop();
  });

  test('the navigation leads to the Library, which opens on the company profile', async () => {
    await page.goto(`${frontend.url}/proposals`);
    await page.locator('details.signin-token > summary').click(); // the token form is under a disclosure since accounts
    await page.getByLabel('Token de API').fill(TOKEN);
    await page.getByRole('button', { name: 'Entrar com o token' }).click();
    const nav = page.getByRole('navigation', { name: 'Navegação principal' });
    await nav.getByRole('link', { name: 'Biblioteca' }).click();
    await page.waitForURL(/\/library$/);
    await page.getByRole('heading', { name: 'Biblioteca', level: 1 }).waitFor();
    assert.equal(await nav.getByRole('link', { name: 'Biblioteca' }).getAttribute('aria-current'), 'page');
    assert.deepEqual(await page.getByRole('tab').allInnerTexts(), TABS);
    await loaded('Empresa');
    assert.equal(await panel('Empresa').getByLabel('Descrição').inputValue(), 'Consultoria de integração e nuvem.');
    await screenshot(page, 'library-01-company');
    await assertAccessible('the company tab');
  });

  test('the tabs work from the keyboard, and every tab is axe clean', async () => {
    await page.getByRole('tab', { name: 'Empresa' }).focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await selectedTab(), 'Serviços');
    assert.equal(await focusedTab(), 'Serviços');
    await page.keyboard.press('End');
    assert.equal(await focusedTab(), 'Para revisar');
    await page.keyboard.press('ArrowRight');
    assert.equal(await focusedTab(), 'Empresa');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await selectedTab(), 'Para revisar');
    await page.keyboard.press('Home');
    assert.equal(await selectedTab(), 'Empresa');
    // Tab leaves the tab list for the open panel: one stop for the whole list.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'library-panel-company');
    await page.getByRole('tab', { name: 'Empresa' }).focus();
    for (const [index, name] of TABS.entries()) {
      if (index > 0) await page.keyboard.press('ArrowRight');
      assert.equal(await selectedTab(), name);
      assert.match(page.url(), /\/library\?tab=/);
      await loaded(name);
      await screenshot(page, `library-02-tab-${index + 1}`);
      await assertAccessible(`the ${name} tab`);
    }
  });

  test('the rate card shows money in the locale, its history, and lets an admin add a rate', async () => {
    await page.getByRole('tab', { name: 'Tabela de preços' }).click();
    await loaded('Tabela de preços');
    const rates = panel('Tabela de preços');
    assert.match(await rates.getByTestId('current-rate').innerText(), /^R\$\s350,00 por hora desde 1 de jan\. de 2026$/);
    await rates.getByRole('button', { name: 'Histórico: Arquiteto de soluções sênior' }).click();
    await rates.getByRole('region', { name: 'Histórico de valores de “Arquiteto de soluções sênior”' }).getByText(/320,00/).waitFor();
    await rates.getByRole('button', { name: 'Adicionar valor: Arquiteto de soluções sênior' }).click();
    await rates.getByLabel('Valor por hora', { exact: true }).fill('1234,50');
    await rates.getByLabel('Válido a partir de', { exact: true }).fill('2027-01-01');
    await rates.getByRole('button', { name: 'Adicionar valor', exact: true }).click();
    await rates.getByText(/^Valor de R\$\s1\.234,50 por hora a partir de 1 de jan\. de 2027/).waitFor();
    // A rate from a later date is the role's next one; today's stays current.
    await rates.getByTestId('next-rate').getByText(/1\.234,50/).waitFor();
    assert.match(await rates.getByTestId('next-rate').innerText(), /^R\$\s1\.234,50 por hora a partir de 1 de jan\. de 2027$/);
    assert.match(await rates.getByTestId('current-rate').innerText(), /350,00/);
    const posted = gateway.calls.find((call) => call.method === 'POST' && call.path === `/api/library/roles/${ROLE_ID}/rates`);
    assert.deepEqual(JSON.parse(posted.body), { hourly_rate: '1234.50', currency: 'BRL', valid_from: '2027-01-01' });
    await screenshot(page, 'library-03-rate-added');
    await assertAccessible('the rate card with a rate added');
  });

  test('a person is created from the form, and deleting one asks first and says it leaves search at once', async () => {
    await page.getByRole('tab', { name: 'Pessoas' }).click();
    await loaded('Pessoas');
    const people = panel('Pessoas');
    await people.getByRole('button', { name: 'Nova pessoa' }).click();
    const form = people.getByRole('form', { name: 'Nova pessoa' });
    await form.getByRole('button', { name: 'Salvar' }).click();
    await form.getByText('Campo obrigatório.').waitFor();
    await form.getByLabel('Nome').fill('Carla Dias');
    await form.getByLabel('Papel na tabela de preços').selectOption({ label: 'Arquiteto de soluções sênior' });
    await form.getByLabel('Senioridade').selectOption({ label: 'Principal' });
    await form.getByLabel(/^Competências/).fill('SAP\nKafka');
    await screenshot(page, 'library-04-person-form');
    await assertAccessible('the new person form');
    await form.getByRole('button', { name: 'Salvar' }).click();
    await people.getByText('“Carla Dias” salvo.').waitFor();
    const row = people.getByRole('row', { name: /Carla Dias/ });
    assert.match(await row.innerText(), /Arquiteto de soluções sênior\s+Principal\s+ativa/);
    const created = JSON.parse(gateway.calls.find((call) => call.method === 'POST' && call.path === '/api/library/people').body);
    assert.deepEqual({ name: created.name, role_id: created.role_id, seniority: created.seniority, skills: created.skills, active: created.active }, { name: 'Carla Dias', role_id: ROLE_ID, seniority: 'principal', skills: ['SAP', 'Kafka'], active: true });

    await people.getByRole('button', { name: 'Excluir: Carla Dias' }).click();
    const question = people.getByRole('group', { name: /Excluir “Carla Dias”\?/ });
    assert.match(await question.innerText(), /saem da busca na hora/);
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancelar');
    await assertAccessible('the delete confirmation');
    await question.getByRole('button', { name: 'Excluir' }).click();
    await people.getByText('“Carla Dias” excluído.').waitFor();
    assert.equal(await people.getByRole('row', { name: /Carla Dias/ }).count(), 0);
  });

  test('a dropped document is uploaded and its status goes from indexing, page by page, to indexed', async () => {
    await page.getByRole('tab', { name: 'Documentos' }).click();
    await loaded('Documentos');
    const documents = panel('Documentos');
    // A real drop event with a file in its DataTransfer, as a person dragging a file from the desktop makes.
    const dataTransfer = await page.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['%PDF-1.7 proposta'], 'proposta-acme-2025.pdf', { type: 'application/pdf' }));
      return transfer;
    });
    const zone = documents.getByTestId('dropzone');
    await zone.dispatchEvent('dragenter', { dataTransfer });
    await zone.getByText('Solte para enviar').waitFor();
    await zone.dispatchEvent('drop', { dataTransfer });
    const row = documents.locator('tr[data-document]', { hasText: 'proposta-acme-2025.pdf' });
    await row.getByText('Indexando: página 1 de 3').waitFor({ timeout: 10_000 });
    assert.equal(await row.getByRole('progressbar').getAttribute('value'), '1');
    await screenshot(page, 'library-05-document-indexing');
    await assertAccessible('a document being indexed');
    await row.getByText('Indexado: 12 trechos').waitFor({ timeout: 15_000 });
    assert.equal(await row.getAttribute('data-status'), 'indexed');
    assert.equal(await row.getByRole('progressbar').count(), 0);
    const upload = gateway.calls.find((call) => call.method === 'POST' && call.path === '/api/library/documents');
    assert.match(upload.headers['content-type'], /^multipart\/form-data; boundary=/);
    assert.match(upload.body, /name="category"\r\n\r\npast_proposal/);
    // Indexed: no more polling.
    const polls = gateway.calls.filter((call) => call.method === 'GET' && /\/documents\/./.test(call.path)).length;
    await page.waitForTimeout(2_000);
    assert.equal(gateway.calls.filter((call) => call.method === 'GET' && /\/documents\/./.test(call.path)).length, polls);
    await row.getByRole('button', { name: 'Trechos de “proposta-acme-2025”' }).press('Enter');
    const passages = documents.getByRole('region', { name: 'Trechos de “proposta-acme-2025”' });
    await passages.getByRole('listitem').first().waitFor();
    assert.equal(await passages.getByRole('listitem').count(), 12);
    await screenshot(page, 'library-06-document-indexed');
    await assertAccessible('a document with its passages');
  });

  test('search shows passages with their source and the matched words marked, and says it is text only', async () => {
    await page.getByRole('tab', { name: 'Busca' }).click();
    const search = panel('Busca');
    await search.getByLabel('O que procurar').fill('migração nuvem');
    await search.getByLabel('Tipo').selectOption({ label: 'Proposta anterior' });
    await search.getByLabel('Tecnologia').fill('AWS');
    await search.getByRole('button', { name: 'Buscar' }).click();
    await search.getByText('Busca apenas por texto: nenhum modelo de embeddings configurado.').waitFor();
    const first = search.locator('li.search-result').first();
    assert.equal(await first.getByRole('heading').innerText(), 'Proposta Acme 2025');
    assert.match(await first.locator('.search-meta').innerText(), /Proposta anterior\s+Escopo › Fase 1\s+página 3/);
    assert.deepEqual(await first.locator('mark').allInnerTexts(), ['migração', 'nuvem']);
    // The snippet's markup is text: no <b> element, the angle brackets shown as they are.
    assert.equal(await first.locator('.snippet b').count(), 0);
    assert.match(await first.locator('.snippet').innerText(), /<b>doze<\/b> semanas 🚀/);
    const query = gateway.calls.filter((call) => call.path === '/api/library/search').at(-1).search;
    assert.equal(query, '?q=migra%C3%A7%C3%A3o+nuvem&kind=past_proposal&technology=AWS&limit=20');
    await screenshot(page, 'library-07-search');
    await assertAccessible('the search results');
  });

  test('in English, the text-only notice and the statuses are worded in English', async () => {
    await page.locator('#locale').selectOption('en');
    const search = panel('Search');
    await search.getByRole('button', { name: 'Search' }).click();
    await search.getByText('Text-only search: no embedding model is configured.').waitFor();
    await page.getByRole('tab', { name: 'Documents' }).click();
    await panel('Documents').getByText('Indexed: 12 passages').waitFor();
    await assertAccessible('the documents tab in English');
    await page.locator('#locale').selectOption('pt-BR');
  });

  test('a stale entry links to its edit form', async () => {
    await page.getByRole('tab', { name: 'Para revisar' }).click();
    await loaded('Para revisar');
    const stale = panel('Para revisar');
    assert.deepEqual(await stale.locator('tbody th').allInnerTexts(), ['15 de jan. de 2026', '1 de mar. de 2026']);
    await stale.getByRole('link', { name: 'Editar “Ana Souza”' }).click();
    const form = panel('Pessoas').getByRole('form', { name: 'Editar “Ana Souza”' });
    await form.waitFor();
    assert.equal(await form.getByLabel('Nome').inputValue(), 'Ana Souza');
    assert.equal(await selectedTab(), 'Pessoas');
    await screenshot(page, 'library-08-stale-edit');
    await assertAccessible('an entry opened from the stale list');
  });
});
