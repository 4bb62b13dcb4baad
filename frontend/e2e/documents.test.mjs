// Browser test of a proposal started from the client's documents (issue #16) against the real system with a fake
// Ollama (see harness.mjs): a person attaches an edital PDF (made here by the Python tests' own PDF maker) on New
// proposal, follows its reading and the model's review, attaches an addendum that repeats a clause (one requirement,
// both places), confirms the fields found in it, sees the requirements with their quote, place, kind
// and obligation, sets a status and a note in the compliance matrix (kept after a reload), downloads the matrix as
// CSV and XLSX (read back here, the XLSX with openpyxl), and sees the documents' deadlines; axe-core on each state,
// and the page once at phone width.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, REPO, eventually, screenshot, seriousViolations, signInWithToken, startStack, stopStack } from './harness.mjs';

const PYTHON = process.env.PYTHON ?? join(REPO, '.venv', 'bin', 'python');
const WORK = mkdtempSync(join(tmpdir(), 'propos4l-documents-e2e-'));

// Two pages: the request fields and dates on the first, the contractor's duties on the second.
const EDITAL_PAGES = [
  [
    'PREFEITURA MUNICIPAL DE VALE VERDE',
    'OBJETO: Implantação de sistema de protocolo digital.',
    '1.1 O valor global estimado da contratação é de R$ 480.000,00.',
    '2. DOS PRAZOS',
    '2.1 Os pedidos de esclarecimento deverão ser enviados até 10/03/2027.',
    '2.2 A sessão pública de abertura das propostas ocorrerá em 20 de março de 2027, às 10h.',
  ],
  [
    '5. DAS OBRIGAÇÕES DA CONTRATADA',
    '5.1 A CONTRATADA deverá manter sigilo sobre os dados pessoais a que tiver acesso.',
    '5.2 A CONTRATADA deverá, preferencialmente, oferecer treinamento presencial aos servidores.',
    '6.1 A licitante deverá apresentar atestado de capacidade técnica.',
  ],
];
const SECRECY = 'A CONTRATADA deverá manter sigilo sobre os dados pessoais a que tiver acesso.';
const TRAINING = 'A CONTRATADA deverá, preferencialmente, oferecer treinamento presencial aos servidores.';

/** The edital as a PDF, typeset by WeasyPrint through tests/support/library_documents.py (as the Python tests do). */
function editalPdf() {
  const path = join(WORK, 'edital.pdf');
  const script = [
    'import html, json, sys',
    'from tests.support.library_documents import pdf_from_html',
    'pages = json.loads(sys.argv[2])',
    'body = "".join(\'<div style="page-break-after: always">\' + "".join(f"<p>{html.escape(line)}</p>" for line in page) + "</div>" for page in pages)',
    'open(sys.argv[1], "wb").write(pdf_from_html(body))',
  ].join('\n');
  execFileSync(PYTHON, ['-c', script, path, JSON.stringify(EDITAL_PAGES)], { cwd: REPO, env: { ...process.env, PYTHONPATH: REPO } });
  return readFileSync(path);
}

/** The first sheet of an XLSX file as rows of strings, read with openpyxl. */
function xlsxRows(path) {
  const script = 'import json, sys, openpyxl\nsheet = openpyxl.load_workbook(sys.argv[1]).worksheets[0]\nprint(json.dumps([[("" if c is None else str(c)) for c in row] for row in sheet.iter_rows(values_only=True)]))';
  return JSON.parse(execFileSync(PYTHON, ['-c', script, path], { cwd: REPO }).toString());
}

/** CSV text as rows (RFC 4180 quotes; the matrix's notes may hold commas). */
function csvRows(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\n') {
      row.push(cell.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      cell = '';
    } else cell += char;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

let ollama;
let system;
let frontend;
let browser;
let page;
let proposalUrl;
let proposalId;

async function api(path) {
  const response = await fetch(`${system.url}${path}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
  const text = await response.text();
  assert.ok(response.ok, `GET ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

async function assertAccessible(name) {
  assert.deepEqual(await seriousViolations(page), [], `axe found serious or critical violations on ${name}`);
}

/** The matrix row of the requirement whose quote is `quote` (its id read from the API). */
async function requirementRow(quote) {
  const matrix = await api(`/api/proposals/${proposalId}/requirements`);
  const item = matrix.items.find((candidate) => candidate.quote === quote);
  assert.ok(item, `the API lists “${quote}” (it lists ${matrix.items.map((candidate) => candidate.quote).join(' | ')})`);
  return { item, row: page.locator(`tr[data-requirement-id="${item.id}"]`) };
}

describe('a proposal started from the client’s documents', { timeout: 600_000 }, () => {
  before(async () => {
    ({ ollama, system, frontend, browser } = await startStack());
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true, locale: 'pt-BR' });
    page = await context.newPage();
  });

  after(async () => {
    await stopStack({ browser, frontend, system, ollama });
  });

  test('the edital is attached on New proposal and its reading is followed', async () => {
    await page.goto(`${frontend.url}/proposals/new`);
    await signInWithToken(page, ADMIN_TOKEN);
    await page.getByRole('heading', { name: 'Nova proposta' }).waitFor();
    await page.getByLabel(/^Documentos do cliente/).setInputFiles({ name: 'edital.pdf', mimeType: 'application/pdf', buffer: editalPdf() });
    await page.getByText('1 documento(s) anexado(s)').waitFor();
    await assertAccessible('the new proposal form with a document attached');
    await page.getByRole('button', { name: 'Ler os documentos' }).click();
    await page.waitForURL(/\/proposals\/[0-9a-f-]{36}$/);
    proposalUrl = page.url();
    proposalId = proposalUrl.split('/').pop();
    await page.getByRole('heading', { name: 'Confirme o pedido' }).waitFor();
    const documentLine = page.getByTestId('client-document');
    await documentLine.getByText('edital.pdf').waitFor();
    await eventually(async () => /4 requisitos encontrados/.test(await documentLine.innerText()), {
      timeoutMs: 120_000,
      message: async () => `the document read (${await documentLine.innerText()})`,
    });
    const log = await api(`/api/proposals/${proposalId}/documents`);
    assert.deepEqual(log.items.map((item) => [item.filename, item.status, item.pages_total, item.requirement_count]), [['edital.pdf', 'read', 2, 4]]);
    // The model's classify-and-merge pass follows the reading; the panel keeps asking until it has answered.
    await eventually(async () => /revisados pelo modelo|sem revisão do modelo/.test(await documentLine.innerText()), {
      timeoutMs: 120_000,
      message: async () => `the model's review on the document (${await documentLine.innerText()})`,
    });
    assert.equal(await page.locator('#confirm-reviewing').count(), 0, 'no “still reviewing” note once the review is in');
  });

  test('an addendum attached beside the request repeats a clause: one requirement, both places', async () => {
    await page.getByLabel('Anexar edital ou RFP (PDF, DOCX, texto)').setInputFiles({ name: 'adendo.txt', mimeType: 'text/plain', buffer: Buffer.from(`Adendo 1\n\n5.1 ${SECRECY}\n`) });
    const addendum = page.getByTestId('client-document').filter({ hasText: 'adendo.txt' });
    await eventually(async () => /1 requisito encontrado/.test(await addendum.innerText()), { timeoutMs: 120_000, message: async () => `the addendum read (${await addendum.innerText()})` });
    const matrix = await api(`/api/proposals/${proposalId}/requirements`);
    assert.equal(matrix.items.length, 4, 'the repeated clause is not a fifth requirement');
    const secrecy = matrix.items.find((item) => item.quote === SECRECY);
    assert.deepEqual(secrecy.location, { file: 'edital.pdf', page: 2, clause: '5.1' });
    assert.deepEqual(secrecy.also_at.map((place) => [place.file, place.clause]), [['adendo.txt', '5.1']]);
  });

  test('the fields found are shown with where they were read, and confirming them drafts the proposal', async () => {
    const client = page.getByLabel('Cliente', { exact: true });
    await eventually(async () => (await client.inputValue()) === 'PREFEITURA MUNICIPAL DE VALE VERDE', { message: 'the client filled in from the edital' });
    await page.getByText('Lido em edital.pdf, p. 1').first().waitFor();
    assert.equal(await page.locator('#confirm-requirements').inputValue(), 'Implantação de sistema de protocolo digital');
    assert.equal(await page.locator('#confirm-budget').inputValue(), 'BRL 480000.00');
    await screenshot(page, 'documents-01-confirm');
    await assertAccessible('the request to confirm, with the documents panel');
    await page.getByLabel('Setor').fill('Setor público');
    await page.getByRole('button', { name: 'Confirmar e redigir' }).click();
    await page.locator('.proposal-meta [data-status="ready"]').waitFor({ timeout: 180_000 });
    await page.locator('article[data-section="executive_summary"]').waitFor();
  });

  test('requirements show their quote, place, kind and obligation', async () => {
    const secrecy = await requirementRow(SECRECY);
    await secrecy.row.waitFor();
    assert.equal(await secrecy.row.locator('blockquote').innerText(), SECRECY);
    assert.match(await secrecy.row.innerText(), /edital\.pdf, p\. 2 · item 5\.1/);
    assert.match(await secrecy.row.getByTestId('requirement-also-at').innerText(), /^Também em: adendo\.txt(, p\. 1)? · item 5\.1\.$/);
    assert.equal(await secrecy.row.getByTestId('requirement-obligation').innerText(), 'obrigatório');
    const kinds = { functional: 'funcional', technical: 'técnico', qualification: 'habilitação/jurídico', commercial: 'comercial', deadline: 'prazo' };
    assert.equal(await secrecy.row.getByTestId('requirement-kind').innerText(), kinds[secrecy.item.kind]);
    const training = await requirementRow(TRAINING);
    assert.equal(await training.row.getByTestId('requirement-obligation').innerText(), 'desejável');
    const qualification = await requirementRow('A licitante deverá apresentar atestado de capacidade técnica.');
    assert.equal(await qualification.row.getByTestId('requirement-kind').innerText(), kinds[qualification.item.kind]);
    assert.match(await qualification.row.innerText(), /item 6\.1/);
    assert.equal(await page.getByTestId('requirement').count(), 4);
    await screenshot(page, 'documents-02-requirements');
    await assertAccessible('the proposal with its compliance matrix');
  });

  test('a status and a note set in the matrix are kept after a reload', async () => {
    const { item, row } = await requirementRow(SECRECY);
    const status = row.getByLabel(`Situação de ${item.id}`);
    await status.selectOption('partial');
    await eventually(async () => (await api(`/api/proposals/${proposalId}/requirements`)).items.find((candidate) => candidate.id === item.id)?.compliance?.status === 'partial', { message: 'the status saved' });
    const note = row.getByLabel(`Observação sobre ${item.id}`);
    await note.fill('Sigilo coberto pela cláusula de confidencialidade, falta o termo assinado');
    await note.blur();
    await eventually(async () => (await api(`/api/proposals/${proposalId}/requirements`)).items.find((candidate) => candidate.id === item.id)?.compliance?.note.startsWith('Sigilo coberto'), { message: 'the note saved' });
    await page.reload();
    const again = page.locator(`tr[data-requirement-id="${item.id}"]`);
    await again.waitFor();
    assert.equal(await again.getByLabel(`Situação de ${item.id}`).inputValue(), 'partial');
    assert.equal(await again.getByLabel(`Observação sobre ${item.id}`).inputValue(), 'Sigilo coberto pela cláusula de confidencialidade, falta o termo assinado');
    const saved = (await api(`/api/proposals/${proposalId}/requirements`)).items.find((candidate) => candidate.id === item.id);
    assert.equal(saved.compliance.changed_by, 'admin');
  });

  test('the matrix downloads as CSV and XLSX with the edited status and note', async () => {
    const { item } = await requirementRow(SECRECY);
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Matriz (CSV)' }).click()]);
    const csv = csvRows(readFileSync(await csvDownload.path(), 'utf8').replace(/^\ufeff/, ''));
    assert.deepEqual(csv[0], ['ID', 'Arquivo', 'Página', 'Cláusula', 'Requisito', 'Obrigatoriedade', 'Tipo', 'Situação', 'Seções', 'Observação', 'Também em']);
    const csvLine = csv.find((cells) => cells[0] === item.id);
    assert.ok(csvLine, `the CSV has ${item.id}`);
    assert.deepEqual([csvLine[1], csvLine[2], csvLine[3], csvLine[4], csvLine[5], csvLine[7], csvLine[9]], ['edital.pdf', '2', '5.1', SECRECY, 'obrigatório', 'parcial', 'Sigilo coberto pela cláusula de confidencialidade, falta o termo assinado']);
    assert.match(csvLine[10], /^adendo\.txt(, p\. 1)?, 5\.1$/);
    assert.equal(csv.filter((cells) => /^REQ-/.test(cells[0])).length, 4);

    const [xlsxDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Matriz (XLSX)' }).click()]);
    const xlsxPath = join(WORK, 'matrix.xlsx');
    writeFileSync(xlsxPath, readFileSync(await xlsxDownload.path()));
    const sheet = xlsxRows(xlsxPath);
    const xlsxLine = sheet.find((cells) => cells[0] === item.id);
    assert.ok(xlsxLine, `the XLSX has ${item.id}`);
    assert.deepEqual([xlsxLine[3], xlsxLine[4], xlsxLine[7], xlsxLine[9], xlsxLine[10]], ['5.1', SECRECY, 'parcial', 'Sigilo coberto pela cláusula de confidencialidade, falta o termo assinado', csvLine[10]]);
  });

  test('the documents’ deadlines are shown on the proposal', async () => {
    const deadlines = page.getByTestId('deadlines');
    await deadlines.waitFor();
    const text = await deadlines.innerText();
    assert.match(text, /Prazos dos documentos/);
    assert.match(text, /Prazo para esclarecimentos[\s\S]*Sessão pública/, 'soonest first');
    const lines = await deadlines.locator('li').allInnerTexts();
    assert.equal(lines.length, 2, lines.join(' | '));
    assert.match(lines[0], /^10\b.*2027 — Prazo para esclarecimentos \(edital\.pdf, p\. 1\)$/);
    assert.match(lines[1], /^20\b.*2027 — Sessão pública \(edital\.pdf, p\. 1\)$/);
    assert.match(text, /edital\.pdf, p\. 1/);
  });

  test('the proposal with its matrix works on a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(proposalUrl);
    await page.getByTestId('requirement').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')].filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5).slice(0, 5).map((element) => `${element.tagName.toLowerCase()}.${element.className}`),
    );
    assert.ok(overflow <= 0, `no horizontal scroll on a phone (overflow ${overflow}px: ${wide.join(', ')})`);
    await screenshot(page, 'documents-03-phone');
    await assertAccessible('the proposal with its matrix on a phone');
    await page.setViewportSize({ width: 1366, height: 900 });
  });
});
