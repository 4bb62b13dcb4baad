// Browser tests of the front end against the real system with a fake Ollama (see harness.mjs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import {
  ADMIN_TOKEN,
  SCREENSHOTS,
  eventually,
  freePort,
  screenshot,
  seriousViolations,
  signInWithToken,
  startFrontend,
  startStack,
  stopStack,
} from './harness.mjs';

let ollama;
let system;
let frontend;
let downFrontend;
let browser;
let context;
let page;
let proposalUrl;

async function assertAccessible(name) {
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], `axe found serious or critical violations on ${name}`);
}

/** A small PNG logo (an orange band with a white bar), made here so the test needs no binary fixture. */
function pngLogo(width = 180, height = 56) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      const bar = y > height * 0.42 && y < height * 0.58 && x > width * 0.1 && x < width * 0.9;
      row.set(bar ? [255, 255, 255] : [194, 65, 12], 1 + x * 3);
    }
    rows.push(row);
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

async function signIn(token = ADMIN_TOKEN) {
  await signInWithToken(page, token);
}

describe('the front end against the real system', { timeout: 600_000 }, () => {
  before(async () => {
    ({ ollama, system, frontend, browser } = await startStack());
    context = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true, locale: 'pt-BR' });
    page = await context.newPage();
  });

  after(async () => {
    await downFrontend?.stop();
    await stopStack({ browser, frontend, system, ollama });
  });

  test('a wrong token is refused with a message saying what to do', async () => {
    await page.goto(`${frontend.url}/proposals`);
    await page.getByRole('heading', { name: 'Entrar no Propos4l' }).waitFor();
    await screenshot(page, '01-sign-in');
    await assertAccessible('the sign-in page');
    await signIn('not-the-right-token-000000');
    await page.getByText('Token recusado pelo gateway').waitFor();
    await screenshot(page, '02-sign-in-wrong-token');
    assert.equal(await page.getByLabel('Token de API').getAttribute('aria-invalid'), 'true');
  });

  test('signing in shows the empty proposals list, and the token never appears in the URL', async () => {
    await signIn();
    await page.getByText('Nenhuma proposta ainda.').waitFor();
    assert.ok(!page.url().includes(ADMIN_TOKEN));
    assert.equal(await page.evaluate(() => sessionStorage.getItem('propos4l.token')), ADMIN_TOKEN);
    await screenshot(page, '03-proposals-empty');
    await assertAccessible('the empty proposals list');
  });

  test('the top bar shows an administrator the Tokens link and who is signed in, also after a reload', async () => {
    const nav = page.getByRole('navigation', { name: 'Navegação principal' });
    assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Propostas', 'Nova proposta', 'Biblioteca', 'Modelos', 'Tokens', 'Webhooks', 'Regras de aprovação', 'Usuários', 'Auditoria', 'Sistema']);
    assert.equal(await page.getByTestId('signed-in-as').locator('.whoami-name').innerText(), 'admin');
    assert.equal(await page.getByTestId('signed-in-as').textContent(), 'Conectado como admin');
    await page.reload();
    await page.getByText('Nenhuma proposta ainda.').waitFor();
    await nav.getByRole('link', { name: 'Tokens' }).waitFor();
    await page.locator('header.topbar').screenshot({ path: `${SCREENSHOTS}/03-topbar-admin.png` });
  });

  test('the form shows the API validation messages next to the fields', async () => {
    await page.getByRole('link', { name: 'Nova proposta' }).first().click();
    await page.getByRole('heading', { name: 'Nova proposta' }).waitFor();
    await page.getByRole('button', { name: 'Gerar proposta' }).click();
    await page.locator('#field-client_name-error').waitFor();
    await page.getByLabel('Cliente', { exact: true }).fill('P'.repeat(201));
    await page.getByLabel('Setor').fill('Varejo');
    await page.getByLabel('Requisitos').fill('Loja online integrada ao ERP, com pagamentos por Pix.');
    await page.getByRole('button', { name: 'Gerar proposta' }).click();
    const clientError = page.locator('#field-client_name-error');
    await eventually(async () => /200/.test(await clientError.innerText()), { message: "the API's message next to the client field" });
    await screenshot(page, '04-new-proposal-errors');
    await assertAccessible('the new proposal form with errors');
  });

  test('a new proposal streams live text before it is ready, then shows its sections and PDF', async () => {
    await page.getByLabel('Cliente', { exact: true }).fill('Padaria Pão Quente');
    await page.getByLabel('Prazo').fill('3 meses');
    await page.getByLabel('Orçamento').fill('R$ 120.000');
    await page.getByRole('button', { name: 'Gerar proposta' }).click();
    await page.waitForURL(/\/proposals\/[0-9a-f-]{36}$/);
    proposalUrl = page.url();
    const liveText = page.getByTestId('live-text');
    await liveText.waitFor();
    const box = await liveText.boundingBox();
    await eventually(async () => (await liveText.innerText()).includes('fake-ollama draft of'), { message: 'live text' });
    const status = await page.locator('.proposal-meta [data-status]').getAttribute('data-status');
    assert.notEqual(status, 'ready', 'live text arrived before the proposal was ready');
    await eventually(async () => (await page.locator('.section-progress [data-state="done"]').count()) >= 2, { message: 'two sections done' });
    const boxLater = await liveText.boundingBox();
    assert.deepEqual({ y: boxLater.y, height: boxLater.height }, { y: box.y, height: box.height }, 'the live text box does not move or grow');
    await screenshot(page, '05-proposal-live');
    await assertAccessible('the live draft');
    await page.locator('.proposal-meta [data-status="ready"]').waitFor({ timeout: 120_000 });
    await page.locator('article[data-section="executive_summary"]').waitFor();
    assert.equal(await page.locator('article.section').count(), 10);
    await page.locator('.pdf-frame iframe[src^="blob:"]').waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId('investment-total').innerText(), /^R\$\s?[\d.]+,\d{2}$/);
    await screenshot(page, '06-proposal-ready');
    await assertAccessible('the ready proposal');
  });

  test('the PDF downloads', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-pdf').click()]);
    const path = await download.path();
    assert.ok(readFileSync(path).subarray(0, 5).toString() === '%PDF-', 'the download is a PDF');
    assert.match(download.suggestedFilename(), /^padaria-pao-quente-v1\.pdf$/);
  });

  test('the HTML and Markdown exports download', async () => {
    for (const [name, pattern] of [['HTML', /<html/i], ['Markdown', /Padaria Pão Quente/]]) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name, exact: true }).click()]);
      assert.match(readFileSync(await download.path(), 'utf8'), pattern, `${name} export`);
      assert.match(download.suggestedFilename(), name === 'HTML' ? /\.html$/ : /\.md$/);
    }
  });

  test('an administrator sees the proposal’s history, and the audit page filters the log', async () => {
    const history = page.getByTestId('proposal-history');
    await eventually(async () => /proposal\.created/.test(await history.innerText()), { message: 'the history lists the creation' });
    await history.getByRole('link', { name: 'Ver no registro de auditoria' }).click();
    await page.getByRole('heading', { name: 'Auditoria' }).waitFor();
    assert.equal(await page.getByLabel('Id do objeto').inputValue(), proposalUrl.split('/').pop());
    const rows = page.locator('[data-testid="audit-table"] tbody tr');
    await eventually(async () => (await rows.count()) >= 2, { message: 'the proposal’s records' });
    await page.getByRole('button', { name: 'Limpar filtros' }).click();
    await page.getByLabel(/^Ação/).fill('proposal.created');
    await page.getByRole('button', { name: 'Filtrar' }).click();
    await eventually(async () => {
      const actions = await rows.evaluateAll((found) => found.map((row) => row.getAttribute('data-action')));
      return actions.length === 1 && actions[0] === 'proposal.created';
    }, { message: 'only the proposal.created record' });
    await screenshot(page, '06b-audit-log');
    await assertAccessible('the audit log');
    await page.goto(proposalUrl);
    await page.locator('article[data-section="executive_summary"]').waitFor();
  });

  test('editing a section makes version 2', async () => {
    const section = page.locator('article[data-section="executive_summary"]');
    await section.getByRole('button', { name: /^Editar/ }).click();
    const editor = section.getByRole('textbox');
    await editor.fill(
      [
        'Resumo revisado à mão para a **Padaria Pão Quente**: pedidos (order_id e customer_id) num só lugar.',
        '',
        '- Entrega em três fases',
        '- Suporte pelo [portal](https://example.com/portal) e por [e-mail](mailto:suporte@example.com)',
        '',
        '| Fase | Semanas |',
        '|---|--:|',
        '| Descoberta | 2 |',
        '| Construção | 6 |',
        '',
        '<script>window.injected = true</script> [clique](javascript:window.injected=true)',
      ].join('\n'),
    );
    await screenshot(page, '07-section-editing');
    await section.getByRole('button', { name: 'Salvar' }).click();
    await page.locator('.versions li[data-version="2"]').waitFor();
    await page.locator('article[data-section="executive_summary"]').getByText('Resumo revisado à mão').waitFor();
    // Shown with the PDF's Markdown rules: a table, a list and links; underscores inside words and raw HTML as text.
    const shown = page.locator('article[data-section="executive_summary"] .markdown');
    // Read again until it settles: the status events after a save re-render the section, and a row read while React
    // swaps it is detached, where innerText falls back to the raw text ('\nDescoberta\n2\n').
    let rowTexts = [];
    await eventually(async () => {
      rowTexts = await shown.locator('tbody tr').allInnerTexts();
      return rowTexts.join('|') === 'Descoberta\t2|Construção\t6';
    }, { message: () => `the table's rows as cells, last read ${JSON.stringify(rowTexts)}` });
    assert.equal(await shown.locator('li').count(), 2);
    assert.equal(await shown.getByRole('link', { name: 'portal' }).getAttribute('target'), '_blank');
    assert.equal(await shown.getByRole('link', { name: 'e-mail' }).getAttribute('href'), 'mailto:suporte@example.com');
    assert.equal(await shown.locator('em, script').count(), 0);
    assert.match(await shown.innerText(), /order_id e customer_id[\s\S]*<script>window\.injected = true<\/script> \[clique\]\(javascript:/);
    assert.equal(await shown.getByRole('link', { name: 'clique' }).count(), 0);
    assert.equal(await page.evaluate(() => window.injected), undefined);
    await section.screenshot({ path: `${SCREENSHOTS}/07-section-markdown.png` });
    await page.locator('.proposal-meta [data-status="ready"]').waitFor({ timeout: 60_000 });
    await page.getByRole('heading', { name: 'PDF da versão 2' }).waitFor({ timeout: 30_000 });
  });

  test('regenerating a section with instructions makes version 3, and version 1 stays viewable', async () => {
    const section = page.locator('article[data-section="solution"]');
    await section.getByRole('button', { name: /^Regenerar/ }).click();
    await section.getByLabel(/Instruções para o modelo/).fill('mais curto');
    await screenshot(page, '08-section-regenerate');
    await section.getByRole('button', { name: 'Regenerar' }).click();
    await page.locator('.versions li[data-version="3"]').waitFor();
    await page.locator('.proposal-meta [data-status="ready"]').waitFor({ timeout: 120_000 });
    await page.getByRole('heading', { name: 'PDF da versão 3' }).waitFor({ timeout: 30_000 });
    await page.locator('.versions li[data-version="3"]').getByText('mais curto').waitFor();
    await page.getByRole('button', { name: 'Ver PDF: Versão 1' }).click();
    await page.getByRole('heading', { name: 'PDF da versão 1' }).waitFor();
    await page.locator('.pdf-frame iframe[src^="blob:"]').waitFor();
    await screenshot(page, '09-proposal-versions');
    await assertAccessible('the proposal with versions');
  });

  test('a proposal with a PDF is added to the library from its page; adding it again says it is there already', async () => {
    const card = page.getByTestId('add-to-library');
    await card.getByText('as seções da versão 3').waitFor();
    await card.getByRole('button', { name: 'Adicionar à biblioteca' }).click();
    const result = card.locator('#library-add-result');
    await result.getByText(/^Adicionada à biblioteca como “Padaria Pão Quente \(v3\)”\. (Enviado, aguardando a indexação|Indexando|Indexado)/).waitFor();
    await card.getByRole('button', { name: 'Adicionar à biblioteca' }).click();
    await result.getByText(/^Esta versão já estava na biblioteca, como “Padaria Pão Quente \(v3\)”/).waitFor();
    await assertAccessible('the proposal page with its library card');
  });

  test('the Library against the real gateway: a role with a rate, a person, a Markdown document indexed and found by search', async () => {
    const suffix = Date.now().toString(36);
    const roleName = `Arquiteta de dados ${suffix}`;
    await page.goto(`${frontend.url}/library?tab=rates`);
    const rates = page.getByRole('tabpanel', { name: 'Tabela de preços' });
    await rates.getByRole('button', { name: 'Novo papel' }).click();
    const roleForm = rates.getByRole('form', { name: 'Novo papel' });
    await roleForm.getByLabel('Nome').fill(roleName);
    await roleForm.getByLabel(/^Responsável/).fill('');
    await roleForm.getByRole('button', { name: 'Salvar' }).click();
    await rates.getByText(`“${roleName}” salvo.`).waitFor();
    const roleRow = rates.getByRole('row', { name: new RegExp(roleName) });
    assert.match(await roleRow.innerText(), /sem valor[\s\S]*admin/, 'no rate yet; the gateway made the caller the owner');
    await rates.getByRole('button', { name: `Adicionar valor: ${roleName}` }).click();
    await rates.getByLabel('Valor por hora', { exact: true }).fill('412,50');
    await rates.getByRole('button', { name: 'Adicionar valor', exact: true }).click();
    await rates.getByText(new RegExp(`^Valor de R\\$\\s412,50 por hora a partir de .+ adicionado a “${roleName}”\\.$`)).waitFor();
    await eventually(async () => /^R\$\s412,50 por hora desde /.test(await roleRow.getByTestId('current-rate').innerText()), { message: 'the new rate is current' });

    await page.getByRole('tab', { name: 'Pessoas' }).click();
    const people = page.getByRole('tabpanel', { name: 'Pessoas' });
    await people.getByRole('button', { name: 'Nova pessoa' }).click();
    const personForm = people.getByRole('form', { name: 'Nova pessoa' });
    await personForm.getByLabel('Nome').fill(`Carla Dias ${suffix}`);
    await personForm.getByLabel('Papel na tabela de preços').selectOption({ label: roleName });
    await personForm.getByLabel('Senioridade').selectOption({ label: 'Sênior' });
    await personForm.getByLabel(/^Competências/).fill('Kafka\nSAP');
    await personForm.getByRole('button', { name: 'Salvar' }).click();
    await people.getByText(`“Carla Dias ${suffix}” salvo.`).waitFor();
    assert.match(await people.getByRole('row', { name: new RegExp(`Carla Dias ${suffix}`) }).innerText(), new RegExp(`${roleName}\\s+Sênior\\s+ativa`));

    await page.getByRole('tab', { name: 'Documentos' }).click();
    const documents = page.getByRole('tabpanel', { name: 'Documentos' });
    await documents.getByLabel('Categoria').selectOption({ label: 'Nota de metodologia' });
    await documents.getByLabel(/^Título/).fill(`Método Fênix ${suffix}`);
    const markdown = [`# Método Fênix ${suffix}`, '', '## Descoberta', '', 'Entrevistamos os operadores dos quiosques de autoatendimento antes de desenhar a solução.', '', '## Entrega', '', 'Cada entrega passa por homologação com o cliente.'].join('\n');
    await documents.locator('#library-upload-file').setInputFiles({ name: 'metodo-fenix.md', mimeType: 'text/markdown', buffer: Buffer.from(markdown) });
    const row = documents.locator('tr[data-document]', { hasText: `Método Fênix ${suffix}` });
    await row.waitFor();
    // The library service extracts, splits and indexes it; the page follows its status.
    await eventually(async () => (await row.getAttribute('data-status')) === 'indexed' || ((await row.getAttribute('data-status')) === 'failed' && Promise.reject(new Error(await row.innerText()))), { timeoutMs: 30_000, message: 'the document indexed' });
    assert.match(await row.getByTestId('document-status').innerText(), /^Indexado: \d+ trechos?$/);
    await row.getByRole('button', { name: `Trechos de “Método Fênix ${suffix}”` }).click();
    const passages = documents.getByRole('region', { name: `Trechos de “Método Fênix ${suffix}”` });
    await passages.getByText(/quiosques de autoatendimento/).waitFor();
    await screenshot(page, '18-library-document-indexed');
    await assertAccessible('the Library documents with a passage list');

    await page.getByRole('tab', { name: 'Busca' }).click();
    const search = page.getByRole('tabpanel', { name: 'Busca' });
    await search.getByLabel('O que procurar').fill('quiosques');
    await search.getByRole('button', { name: 'Buscar' }).click();
    await search.getByText('Busca apenas por texto: nenhum modelo de embeddings configurado.').waitFor();
    const found = search.locator('li.search-result', { hasText: `Método Fênix ${suffix}` }).first();
    await found.waitFor();
    assert.equal(await found.locator('.badge').first().innerText(), 'Nota de metodologia');
    assert.match(await found.locator('.search-meta').innerText(), /Descoberta/);
    assert.deepEqual((await found.locator('mark').allInnerTexts()).map((text) => text.toLowerCase()), ['quiosques']);
    await screenshot(page, '19-library-search');
    await assertAccessible('the Library search results');
  });

  test('while the model server does not answer, the live draft says so and when it tries again', async () => {
    const scripted = await fetch(`${ollama.url}/_fake/script`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ behaviours: Array.from({ length: 4 }, () => ({ kind: 'http_error', status: 503, message: 'server restarting' })) }),
    });
    assert.equal(scripted.status, 200);
    await page.goto(`${frontend.url}/proposals/new`);
    await page.getByLabel('Cliente', { exact: true }).fill('Transportes Rota Sul');
    await page.getByLabel('Setor').fill('Logística');
    await page.getByLabel('Requisitos').fill('Portal de agendamento de coletas.');
    await page.getByRole('button', { name: 'Gerar proposta' }).click();
    await page.waitForURL(/\/proposals\/[0-9a-f-]{36}$/);
    const notice = page.getByTestId('live-notice');
    await notice.waitFor({ timeout: 60_000 });
    assert.match(await notice.innerText(), /O servidor do modelo não está respondendo; nova tentativa em \d+ s\./);
    await screenshot(page, '08b-live-notice');
    await page.locator('.proposal-meta [data-status="ready"]').waitFor({ timeout: 120_000 });
    assert.equal(await page.getByTestId('live-notice').count(), 0);
  });

  test('a failed proposal shows its reason and offers a retry with the same request', async () => {
    const scripted = await fetch(`${ollama.url}/_fake/script`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ behaviours: [{ kind: 'http_error', status: 404, message: "model 'qwen2.5:7b' not found" }] }),
    });
    assert.equal(scripted.status, 200);
    await page.goto(`${frontend.url}/proposals/new`);
    await page.getByLabel('Cliente', { exact: true }).fill('Construtora Alicerce');
    await page.getByLabel('Setor').fill('Construção');
    await page.getByLabel('Requisitos').fill('Portal do cliente com acompanhamento de obras.');
    await page.getByRole('button', { name: 'Gerar proposta' }).click();
    await page.waitForURL(/\/proposals\/[0-9a-f-]{36}$/);
    const reason = page.getByTestId('failure-reason');
    await reason.waitFor({ timeout: 60_000 });
    assert.match(await reason.innerText(), /qwen2\.5:7b/);
    await screenshot(page, '10-proposal-failed');
    await assertAccessible('the failed proposal');
    await page.getByRole('link', { name: 'Criar de novo com os mesmos dados' }).click();
    await eventually(async () => (await page.getByLabel('Cliente', { exact: true }).inputValue()) === 'Construtora Alicerce', { message: 'the form prefilled' });
  });

  test('the list searches and filters by status, in English too', async () => {
    await page.goto(`${frontend.url}/proposals`);
    await page.locator('.proposal-row').nth(1).waitFor();
    await screenshot(page, '11-proposals-list');
    await assertAccessible('the proposals list');
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Filtrar' }).click();
    await eventually(async () => (await page.locator('.proposal-row').count()) === 1, { message: 'one failed proposal' });
    assert.match(await page.locator('.proposal-row').innerText(), /Construtora Alicerce/);
    await page.getByRole('button', { name: 'Limpar filtros' }).click();
    await page.getByRole('searchbox', { name: 'Buscar por cliente' }).fill('Padaria');
    await page.getByRole('button', { name: 'Filtrar' }).click();
    await eventually(async () => (await page.locator('.proposal-row').count()) === 1 && /Padaria/.test(await page.locator('.proposal-row').innerText()), { message: 'search by client' });
    await page.getByLabel('Idioma').selectOption('en');
    await page.getByRole('heading', { name: 'Proposals' }).waitFor();
    await page.getByRole('button', { name: 'Filter', exact: true }).waitFor();
    await screenshot(page, '12-proposals-list-en');
    await page.getByLabel('Language').selectOption('pt-BR');
  });

  test('the templates and system pages load and are accessible', async () => {
    await page.goto(`${frontend.url}/templates`);
    await page.getByRole('heading', { name: 'Modelos', level: 1 }).waitFor();
    await page.locator('.loading').waitFor({ state: 'detached' });
    await screenshot(page, '13-templates');
    await assertAccessible('the templates page');
    await page.getByRole('button', { name: 'Editar: default' }).click();
    const editor = page.getByLabel('template.html');
    await editor.waitFor();
    const original = await editor.inputValue();
    await editor.fill(`${original}\n{% if %}`);
    await page.getByRole('button', { name: 'Pré-visualizar PDF' }).click();
    const fieldError = page.locator('.template-editor .field-error').first();
    await fieldError.waitFor({ timeout: 60_000 });
    assert.match(await fieldError.innerText(), /linha \d+/);
    await screenshot(page, '13-templates-error');
    await assertAccessible('the template editor with an error');
    await editor.fill(original);
    await page.getByRole('button', { name: 'Pré-visualizar PDF' }).click();
    await page.locator('.card iframe[src^="blob:"]').waitFor({ timeout: 90_000 });
    assert.equal(await page.locator('.template-editor .field-error').count(), 0);
    await screenshot(page, '13-templates-preview');
    await page.goto(`${frontend.url}/system`);
    await page.getByRole('heading', { name: 'Sistema', level: 1 }).waitFor();
    await page.locator('.checks').waitFor();
    await page.getByRole('heading', { name: 'Últimos backups' }).waitFor();
    await page.locator('.loading').waitFor({ state: 'detached' });
    await screenshot(page, '14-system');
    await assertAccessible('the system page');
  });

  test('an admin creates a template from the default, rebrands it, previews it, uses it for a proposal, then deletes it', async () => {
    const asAdmin = { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } };
    const logo = pngLogo();
    await page.goto(`${frontend.url}/templates`);
    await page.getByRole('heading', { name: 'Modelos', level: 1 }).waitFor();
    await page.locator('.loading').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Novo modelo' }).click();
    const form = page.getByRole('region', { name: 'Novo modelo' });
    await form.waitFor();
    await eventually(async () => (await page.evaluate(() => document.activeElement?.id)) === 'field-template-name', { message: 'focus on the name' });
    await form.getByLabel('Nome').fill('Acme E2E');
    await form.getByRole('button', { name: 'Criar modelo' }).click();
    await form.getByText(/Use de 1 a 64 letras minúsculas/).waitFor();
    await form.getByLabel('Nome').fill('acme-e2e');
    assert.equal(await form.getByLabel('Começar a partir de').inputValue(), 'default');
    await screenshot(page, '18-template-create');
    await assertAccessible('the new template form');
    await form.getByRole('button', { name: 'Criar modelo' }).click();
    await page.getByText('Modelo “acme-e2e” criado a partir de “default”. Edite-o abaixo.').waitFor({ timeout: 90_000 });
    await eventually(async () => (await page.evaluate(() => document.activeElement?.id)) === 'editor-title', { message: 'focus on the new template' });
    const created = await (await fetch(`${system.url}/api/templates/acme-e2e`, asAdmin)).json();
    const original = await (await fetch(`${system.url}/api/templates/default`, asAdmin)).json();
    // A copy: the same files (the manifest.json differs only by its name) and the same manifest otherwise.
    const withoutManifest = (files) => files.filter((file) => file.path !== 'manifest.json').map((file) => [file.path, file.sha256]);
    assert.deepEqual(withoutManifest(created.files), withoutManifest(original.files), 'the new template has the default’s files');
    assert.deepEqual({ ...created.manifest, name: 'default' }, original.manifest, 'the new template has the default’s manifest');

    await page.getByLabel('Nome da empresa').fill('Acme Engenharia');
    await page.getByLabel('Primária').fill('#c2410c');
    await page.getByLabel('Trocar o logotipo').setInputFiles({ name: 'acme.png', mimeType: 'image/png', buffer: logo });
    await page.getByText(/Novo logotipo: acme\.png/).waitFor();
    await page.getByRole('img', { name: 'acme.png' }).waitFor();
    await screenshot(page, '18-template-editor-brand');
    await assertAccessible('the template editor with brand fields');
    await page.getByRole('button', { name: 'Salvar' }).click();
    await page.getByText('Modelo salvo: versão 2.').waitFor({ timeout: 90_000 });
    const saved = await (await fetch(`${system.url}/api/templates/acme-e2e`, asAdmin)).json();
    assert.equal(saved.manifest.brand.company_name, 'Acme Engenharia');
    assert.equal(saved.manifest.brand.colors.primary.toLowerCase(), '#c2410c');
    assert.equal(saved.manifest.brand.logo, 'assets/logo.png');
    const storedLogo = await fetch(`${system.url}/api/templates/acme-e2e/files/assets/logo.png`, asAdmin);
    assert.deepEqual(Buffer.from(await storedLogo.arrayBuffer()), logo, 'the logo is stored byte for byte');
    assert.ok(!saved.files.some((file) => file.path === 'assets/logo.svg'), 'the old logo is gone');
    const history = page.getByRole('region', { name: 'Histórico' });
    assert.deepEqual(await history.locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-version'))), ['2', '1']);
    assert.match(await history.locator('tbody tr').first().innerText(), /Alterado\s+admin/);
    const row = page.locator('li[data-template="acme-e2e"]');
    await eventually(async () => /Acme Engenharia/.test(await row.innerText()), { message: 'the list shows the new company name' });

    const [preview] = await Promise.all([
      page.waitForResponse((response) => response.url().includes('/api/templates/acme-e2e/preview') && response.request().method() === 'POST', { timeout: 90_000 }),
      page.getByRole('button', { name: 'Pré-visualizar PDF' }).click(),
    ]);
    assert.equal(preview.status(), 200);
    assert.match(preview.headers()['content-type'], /^application\/pdf/);
    assert.ok(Number((await preview.allHeaders())['x-pages']) >= 1, 'the preview has pages');
    await page.locator('.template-editor-card iframe[src^="blob:"]').waitFor();

    // The proposal form offers the new template; a proposal made with it renders.
    await page.getByRole('link', { name: 'Nova proposta' }).first().click();
    await eventually(async () => (await page.locator('#field-template option').allInnerTexts()).includes('acme-e2e'), { message: 'the form offers the new template' });
    await page.getByLabel('Cliente', { exact: true }).fill('Metalúrgica Forte');
    await page.getByLabel('Setor').fill('Indústria');
    await page.getByLabel('Requisitos').fill('Sistema de apontamento de produção no chão de fábrica.');
    await page.locator('#field-template').selectOption('acme-e2e');
    await page.getByRole('button', { name: 'Gerar proposta' }).click();
    await page.waitForURL(/\/proposals\/[0-9a-f-]{36}$/);
    await page.locator('.proposal-meta [data-status="ready"]').waitFor({ timeout: 120_000 });
    const proposal = await (await fetch(`${system.url}/api/proposals/${page.url().split('/').pop()}`, asAdmin)).json();
    assert.equal(proposal.template, 'acme-e2e');
    assert.equal(proposal.status, 'ready');

    await page.getByRole('link', { name: 'Modelos' }).click();
    await page.getByRole('button', { name: 'Editar: default' }).click();
    await page.getByLabel('Nome da empresa').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Excluir', exact: true }).count(), 0, 'the default cannot be deleted');
    await page.getByRole('button', { name: 'Editar: acme-e2e' }).click();
    await page.locator('section[data-template="acme-e2e"]').getByLabel('Nome da empresa').waitFor();
    await page.getByRole('button', { name: 'Excluir', exact: true }).click();
    const confirmation = page.getByRole('group', { name: /Excluir o modelo “acme-e2e”\?/ });
    await confirmation.waitFor();
    await screenshot(page, '18-template-delete');
    await assertAccessible('the delete confirmation');
    await confirmation.getByRole('button', { name: 'Excluir modelo' }).click();
    await page.getByText('Modelo “acme-e2e” excluído.').waitFor();
    await page.locator('li[data-template="acme-e2e"]').waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'templates-notice');
    assert.equal((await fetch(`${system.url}/api/templates/acme-e2e`, asAdmin)).status, 404);
  });

  test('an admin creates an API token, sees its secret once, and revoking it stops it working at once', async () => {
    const callWith = (secret) => fetch(`${system.url}/api/proposals`, { headers: { Authorization: `Bearer ${secret}` } });
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByRole('heading', { name: 'Tokens de API', level: 1 }).waitFor();
    await page.locator('.loading').waitFor({ state: 'detached' });
    await assertAccessible('the tokens page');
    await page.getByLabel('Nome').fill('Integração CRM');
    await page.getByLabel(/Expira em \(dias\)/).fill('90');
    await page.getByRole('button', { name: 'Criar token' }).click();
    const heading = page.getByRole('heading', { name: 'Token “Integração CRM” criado: copie-o agora' });
    await heading.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'token-secret-title', 'focus moves to the new secret');
    const secret = await page.getByLabel('Novo token').inputValue();
    assert.match(secret, /^p4l_/);
    await page.locator('tr[data-token="Integração CRM"]').waitFor();
    await screenshot(page, '14-tokens-created');
    await assertAccessible('the tokens page with a new secret');

    assert.equal((await callWith(secret)).status, 200, 'the new token works');

    await page.getByRole('button', { name: 'Já guardei o token, fechar' }).click();
    await page.getByLabel('Novo token').waitFor({ state: 'detached' });
    assert.ok(!(await page.content()).includes(secret), 'the secret is gone from the page once dismissed');
    const stored = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }]));
    assert.ok(!stored.includes(secret), 'the secret is in no storage');
    await page.reload();
    const row = page.locator('tr[data-token="Integração CRM"]');
    await row.waitFor();
    assert.match(await row.innerText(), /Padrão/);
    await screenshot(page, '14-tokens-list');
    await assertAccessible('the tokens list');

    await page.getByRole('button', { name: 'Revogar: Integração CRM' }).click();
    const confirmation = page.getByRole('group', { name: /Revogar o token “Integração CRM”\?/ });
    await confirmation.waitFor();
    await assertAccessible('the revoke confirmation');
    await confirmation.getByRole('button', { name: 'Revogar token' }).click();
    await page.getByText('Token “Integração CRM” revogado: ele não funciona mais.').waitFor();
    await row.waitFor({ state: 'detached' });
    assert.equal((await callWith(secret)).status, 401, 'the revoked token is refused');
  });

  test('an admin registers a webhook, edits it, makes it a new secret shown once, and deletes it', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.locator('.loading').waitFor({ state: 'detached' });
    await assertAccessible('the webhooks page');
    await page.getByLabel('URL', { exact: true }).fill('https://hooks.example/propos4l');
    await page.getByRole('button', { name: 'Cadastrar', exact: true }).click();
    await page.getByRole('heading', { name: 'Endereço https://hooks.example/propos4l cadastrado: copie o segredo agora' }).waitFor();
    const first = await page.getByLabel('Segredo de assinatura').inputValue();
    assert.match(first, /^whsec_/);
    await page.getByRole('button', { name: 'Já guardei o segredo, fechar' }).click();
    assert.ok(!(await page.content()).includes(first), 'the secret is gone from the page once dismissed');

    await page.getByRole('button', { name: 'Editar: https://hooks.example/propos4l' }).click();
    const form = page.getByRole('form', { name: 'Editar https://hooks.example/propos4l' });
    await form.getByLabel('Descrição').fill('CRM de vendas');
    await form.getByLabel('Rascunho pronto').check();
    await assertAccessible('the webhook edit form');
    await form.getByRole('button', { name: 'Salvar' }).click();
    await page.getByText('https://hooks.example/propos4l salvo.').waitFor();
    const item = page.locator('li[data-webhook="https://hooks.example/propos4l"]');
    await eventually(async () => /proposal\.drafted.*CRM de vendas/s.test(await item.innerText()), { message: 'the edited endpoint listed' });

    await page.getByRole('button', { name: 'Gerar novo segredo: https://hooks.example/propos4l' }).click();
    const rotate = page.getByRole('group', { name: /Gerar um novo segredo para/ });
    await assertAccessible('the new secret confirmation');
    await rotate.getByRole('button', { name: 'Gerar novo segredo' }).click();
    await page.getByRole('heading', { name: 'Novo segredo de https://hooks.example/propos4l: copie-o agora' }).waitFor();
    const second = await page.getByLabel('Segredo de assinatura').inputValue();
    assert.match(second, /^whsec_/);
    assert.notEqual(second, first);
    await screenshot(page, '15-webhook-new-secret');
    await assertAccessible('the webhooks page with a new secret');
    await page.getByRole('button', { name: 'Já guardei o segredo, fechar' }).click();
    const listed = await fetch(`${system.url}/api/webhooks`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    const [endpoint] = (await listed.json()).items;
    assert.ok(endpoint.previous_secret_expires_at, 'the old secret still signs for a while');
    assert.ok(!JSON.stringify(endpoint).includes('whsec_'), 'the API never lists a secret');

    await page.getByRole('button', { name: 'Excluir: https://hooks.example/propos4l' }).click();
    await page.getByRole('group', { name: /Excluir https:\/\/hooks\.example\/propos4l\?/ }).getByRole('button', { name: 'Excluir o endereço' }).click();
    await page.getByText('https://hooks.example/propos4l excluído.').waitFor();
    await item.waitFor({ state: 'detached' });
    await assertAccessible('the webhooks page after a deletion');
  });

  test('a signed-in user who is not an administrator is told that only administrators manage tokens', async () => {
    const created = await fetch(`${system.url}/api/tokens`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Vendedora', admin: false }),
    });
    assert.equal(created.status, 201);
    const { token } = await created.json();
    // A new context is a new tab's sessionStorage: this page's admin session stays as it is.
    const userContext = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'pt-BR' });
    try {
      const userPage = await userContext.newPage();
      await userPage.goto(`${frontend.url}/tokens`);
      await signInWithToken(userPage, token);
      await userPage.getByText('Somente administradores').waitFor();
      assert.equal(await userPage.locator('table').count(), 0);
      const nav = userPage.getByRole('navigation', { name: 'Navegação principal' });
      assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Propostas', 'Nova proposta', 'Biblioteca', 'Modelos', 'Sistema'], 'no Tokens link for a non-admin');
      assert.equal(await userPage.getByRole('link', { name: 'Tokens' }).count(), 0);
      assert.equal(await userPage.getByTestId('signed-in-as').locator('.whoami-name').innerText(), 'Vendedora');
      await screenshot(userPage, '14-tokens-not-admin');
      await userPage.locator('header.topbar').screenshot({ path: `${SCREENSHOTS}/14-topbar-not-admin.png` });
      const violations = await seriousViolations(userPage);
      assert.deepEqual(violations, [], 'axe found serious or critical violations on the tokens page for a non-admin');

      // Templates are read-only for a non-admin: a view button, the files read-only, no save and no preview.
      await nav.getByRole('link', { name: 'Modelos' }).click();
      await userPage.getByRole('button', { name: 'Ver: default' }).click();
      const html = userPage.getByLabel('template.html');
      await html.waitFor();
      assert.equal(await html.isEditable(), false, 'the template file is read-only');
      assert.equal(await userPage.getByRole('button', { name: /^Editar/ }).count(), 0);
      assert.equal(await userPage.getByRole('button', { name: 'Salvar' }).count(), 0);
      assert.equal(await userPage.getByRole('button', { name: 'Pré-visualizar PDF' }).count(), 0);
      await screenshot(userPage, '14-templates-not-admin');
      assert.deepEqual(await seriousViolations(userPage), [], 'axe found serious or critical violations on the templates page for a non-admin');

      // The system page has no backups part for a non-admin.
      await nav.getByRole('link', { name: 'Sistema' }).click();
      await userPage.locator('.checks').waitFor();
      assert.equal(await userPage.getByRole('heading', { name: 'Últimos backups' }).count(), 0);
      assert.deepEqual(await seriousViolations(userPage), [], 'axe found serious or critical violations on the system page for a non-admin');
    } finally {
      await userContext.close();
    }
  });

  test('an editor who owns a proposal picks a collaborator by typing a name, then deletes the proposal after confirming', async () => {
    const asAdmin = { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' };
    const post = async (path, body, headers = asAdmin) => {
      const answer = await fetch(`${system.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      assert.ok(answer.status < 300, `${path}: ${answer.status} ${await answer.clone().text()}`);
      return answer.json();
    };
    const edna = await post('/api/users', { email: 'edna@example.com', display_name: 'Edna Editora', role: 'editor' });
    const carlos = await post('/api/users', { email: 'carlos@example.com', display_name: 'Carlos Colaborador', role: 'editor' });
    const { token } = await post('/api/tokens', { name: 'edna', role: 'editor', owner_id: edna.id });
    const asEdna = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const made = await post('/api/proposals', { client_name: 'Oficina Roda Viva', industry: 'Serviços', requirements: 'Agendamento on-line e controle de estoque.' }, asEdna);
    const ednaContext = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'pt-BR' });
    try {
      const ednaPage = await ednaContext.newPage();
      await ednaPage.goto(`${frontend.url}/proposals/${made.id}`);
      await signInWithToken(ednaPage, token);
      const people = ednaPage.getByTestId('proposal-people');
      await people.waitFor({ timeout: 120_000 });
      await people.getByRole('button', { name: 'Escolher colaboradores' }).click();
      const search = ednaPage.getByRole('combobox', { name: 'Adicionar colaborador' });
      await search.pressSequentially('carl', { delay: 30 });
      const option = ednaPage.getByRole('option', { name: /Carlos Colaborador/ });
      await option.waitFor();
      assert.equal(await ednaPage.getByRole('option', { name: /Edna/ }).count(), 0, 'the owner is not offered');
      assert.equal(await search.getAttribute('aria-expanded'), 'true');
      await screenshot(ednaPage, '15-collaborator-picker');
      assert.deepEqual(await seriousViolations(ednaPage), [], 'axe found serious or critical violations with the collaborator picker open');
      await search.press('ArrowDown');
      assert.match(await search.getAttribute('aria-activedescendant'), new RegExp(`${carlos.id}$`));
      await search.press('Enter');
      await people.getByText('Carlos Colaborador (carlos@example.com)').waitFor();
      await people.getByRole('button', { name: 'Salvar colaboradores' }).click();
      await people.getByText('Colaboradores salvos.').waitFor();
      await people.locator('dd li', { hasText: 'Carlos Colaborador' }).waitFor();
      const saved = await (await fetch(`${system.url}/api/proposals/${made.id}`, { headers: asEdna })).json();
      assert.deepEqual(saved.collaborators, [carlos.id]);

      await ednaPage.getByRole('button', { name: 'Excluir esta proposta' }).click();
      const question = ednaPage.getByRole('group', { name: /Excluir a proposta de “Oficina Roda Viva”\?/ });
      await question.waitFor();
      assert.equal(await ednaPage.evaluate(() => document.activeElement?.id), 'proposal-delete-cancel', 'the focus is on Cancel, not on the deletion');
      assert.deepEqual(await seriousViolations(ednaPage), [], 'axe found serious or critical violations on the deletion question');
      await question.getByRole('button', { name: 'Sim, excluir' }).click();
      await ednaPage.waitForURL(/\/proposals$/);
      await ednaPage.getByText('A proposta de “Oficina Roda Viva” foi excluída.').waitFor();
      assert.equal((await fetch(`${system.url}/api/proposals/${made.id}`, { headers: asEdna })).status, 404);
    } finally {
      await ednaContext.close();
    }
  });

  test('the proposal page works on a phone', async () => {
    // sessionStorage is per tab, so the phone view is this tab resized.
    const phone = page;
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(proposalUrl);
    await phone.locator('article[data-section="executive_summary"]').waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scroll on a phone (overflow ${overflow}px)`);
    await phone.screenshot({ path: 'test-results/screenshots/15-proposal-phone.png', fullPage: false });
    await page.goto(`${frontend.url}/proposals`);
    await screenshot(page, '15-proposals-phone');
    await phone.setViewportSize({ width: 1366, height: 900 });
  });

  test('an expired session (401 mid-session) returns to sign-in with a message', async () => {
    await page.goto(`${frontend.url}/proposals`);
    await page.locator('.proposal-row').first().waitFor();
    await page.route('**/api/proposals**', (route) =>
      route.fulfill({ status: 401, contentType: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'The token was revoked.' }) }),
    );
    await page.getByLabel('Status').selectOption('ready');
    await page.getByRole('button', { name: 'Filtrar' }).click();
    await page.getByText('Sua sessão expirou').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('propos4l.token')), null);
    await screenshot(page, '16-session-expired');
    await page.unroute('**/api/proposals**');
  });

  test('a gateway that is down is named with what to do, not a blank page', async () => {
    const deadPort = await freePort();
    downFrontend = await startFrontend({ apiUrl: `http://127.0.0.1:${deadPort}`, port: await freePort() });
    const other = await browser.newPage();
    await other.goto(`${downFrontend.url}/proposals`);
    await signInWithToken(other, ADMIN_TOKEN);
    await other.getByText('Não foi possível falar com o gateway').waitFor();
    await other.screenshot({ path: 'test-results/screenshots/17-gateway-down.png', fullPage: true });
    await other.close();
  });

  test('without the live stream the page still follows the proposal by polling', async () => {
    await page.route('**/events', (route) => route.abort());
    await page.goto(`${frontend.url}/proposals/new`);
    await signIn(); // the expired-session test above ended the session
    await page.getByLabel('Cliente', { exact: true }).fill('Clínica Bem Viver');
    await page.getByLabel('Setor').fill('Saúde');
    await page.getByLabel('Requisitos').fill('Agendamento online e prontuário eletrônico.');
    await page.getByRole('button', { name: 'Gerar proposta' }).click();
    await page.waitForURL(/\/proposals\/[0-9a-f-]{36}$/);
    await page.locator('.proposal-meta [data-status="ready"]').waitFor({ timeout: 120_000 });
    await page.locator('article[data-section="terms"]').waitFor();
    await page.unroute('**/events');
  });

  test('signing out works from the keyboard, and signing back in too', async () => {
    await page.goto(`${frontend.url}/proposals`);
    await page.locator('.proposal-row').first().waitFor();
    await page.getByRole('button', { name: 'Sair' }).focus();
    await page.keyboard.press('Enter');
    await page.getByText('Você saiu.').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('propos4l.token')), null);
    await page.getByText('Entrar com um token de API').focus(); // the token form opens from the keyboard too
    await page.keyboard.press('Enter');
    await page.getByLabel('Token de API').focus();
    await page.keyboard.type(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.locator('.proposal-row').first().waitFor();
  });

  // Last: it fills the library, which the proposals drafted above must not have.
  test('a proposal drafted with a library shows its team and priced effort, and an hours edit shows the total the API priced again', async () => {
    const api = async (path, method = 'GET', body) => {
      const response = await fetch(`${system.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
      return response.status === 204 ? null : response.json();
    };
    const money = (amount) => new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL' }).format(amount).replace(/\s/g, ' ');
    const shown = async (locator) => (await locator.innerText()).replace(/\s/g, ' ');
    // The Library tests above left a role and a person of their own: this draft must stand on this test's alone.
    for (const other of (await api('/api/library/roles?limit=200')).items) {
      for (const person of (await api(`/api/library/people?role_id=${other.id}&limit=200`)).items) {
        await api(`/api/library/people/${person.id}`, 'DELETE');
      }
      await api(`/api/library/roles/${other.id}`, 'DELETE');
    }
    const role = await api('/api/library/roles', 'POST', { name: 'Arquiteta de software' });
    await api(`/api/library/roles/${role.id}/rates`, 'POST', { hourly_rate: '200.00', currency: 'BRL', valid_from: '2020-01-01' });
    await api('/api/library/people', 'POST', { name: 'Beatriz Nunes', role_id: role.id, seniority: 'senior', bio: 'Beatriz desenha sistemas de pedidos há doze anos.', skills: ['Kubernetes'] });
    const created = await api('/api/proposals', 'POST', { client_name: 'Mercado Bom Preço', industry: 'Varejo', requirements: 'Sistema de pedidos em Kubernetes.', budget: 'R$ 50.000,00' });
    const drafted = await eventually(async () => {
      const current = await api(`/api/proposals/${created.id}`);
      return current.status === 'ready' && current;
    }, { timeoutMs: 120_000, message: 'the grounded proposal ready' });
    assert.ok(drafted.effort?.lines.length > 0, 'the draft proposed effort');
    assert.ok(drafted.effort.lines.every((line) => line.role_id === role.id && line.hourly_rate === '200.00'), 'priced from the rate card');

    await page.goto(`${frontend.url}/proposals/${created.id}`);
    const investment = page.locator('article[data-section="investment"]');
    const signInHeading = page.getByRole('heading', { name: 'Entrar no Propos4l' });
    await Promise.race([investment.waitFor(), signInHeading.waitFor()]);
    if (await signInHeading.count()) await signIn();
    const total = investment.getByTestId('effort-total');
    await total.waitFor();
    assert.equal(await shown(total), money(drafted.effort.total));
    assert.match(await page.locator('article[data-section="team"]').getByTestId('team-people').innerText(), /Beatriz Nunes\s+Arquiteta de software · Sênior/);
    await screenshot(page, '19-grounded-proposal');
    await assertAccessible('a grounded proposal');

    await investment.getByRole('button', { name: 'Editar horas' }).click();
    await investment.getByLabel(/^Horas de Arquiteta de software em /).first().fill('7');
    await investment.getByRole('button', { name: 'Salvar horas' }).click();
    await page.locator('.versions li[data-version="2"]').waitFor();
    const edited = await api(`/api/proposals/${created.id}`);
    assert.equal(edited.version, 2);
    assert.deepEqual(edited.effort.lines[0], { ...drafted.effort.lines[0], hours: '7.00', amount: '1400.00' });
    await eventually(async () => (await shown(page.locator('article[data-section="investment"]').getByTestId('effort-total'))) === money(edited.effort.total), {
      message: 'the new total from the API',
    });
    assert.notEqual(edited.effort.total, drafted.effort.total);
    await page.locator('.proposal-meta [data-status="ready"]').waitFor({ timeout: 60_000 });
  });
});
