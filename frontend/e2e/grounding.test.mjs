// Browser test of a grounded proposal's page (issue #15): the built front end in Chromium against a fake gateway
// answering through page.route. Sources open from the keyboard, flags, team, the priced effort, the budget sentence, and
// an hours edit that sends only phases, roles and hours (the fake prices them, as the gateway does); axe-core on each state.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, launchBrowser, screenshot, seriousViolations, signInWithToken, startFrontend } from './harness.mjs';

const GATEWAY = 'http://gateway.invalid:8000';
const TOKEN = 'e2e-grounding-token';
const ID = '7d3f6a2e-1c4b-4f7e-9a51-000000000001';
const uuid = (n) => `6f1c0c1e-2b1a-4c55-9d0e-7a1f${String(n).padStart(8, '0')}`;
const ARCHITECT = uuid(1);
const ANALYST = uuid(2);
const KEYS = ['executive_summary', 'context', 'solution', 'scope', 'methodology', 'timeline', 'team', 'investment', 'differentials', 'terms'];
const TITLES = ['Sumário executivo', 'Contexto e necessidades', 'Solução proposta', 'Escopo', 'Metodologia', 'Cronograma', 'Equipe', 'Investimento', 'Diferenciais', 'Condições gerais'];

const line = (phase, role_id, role_name, hours, hourly_rate, amount) => ({ phase, role_id, role_name, hours, hourly_rate, amount, currency: hourly_rate ? 'BRL' : null, rate_id: hourly_rate ? uuid(30) : null });

function proposal(version, status, effortLines, total, comparison) {
  return {
    id: ID,
    client_name: 'Loja Azul',
    industry: 'Varejo',
    status,
    version,
    language: 'pt-BR',
    template: 'default',
    created_at: '2026-01-10T12:00:00Z',
    updated_at: '2026-01-10T12:05:00Z',
    requirements: 'Migração do e-commerce para Kubernetes na AWS.',
    scope: null,
    timeline: null,
    budget: 'R$ 20.000,00',
    discount_percent: null,
    sections: KEYS.map((key, index) => ({ key, title: TITLES[index], content: `Texto de ${TITLES[index].toLowerCase()} escrito a partir da biblioteca da consultoria.` })),
    investment_items: [],
    investment: null,
    timeline_phases: [],
    assumptions: [],
    pdf_url: null,
    pdf_version: null,
    error: null,
    draft: { provider: 'ollama', model: 'qwen2.5:7b', ai_generated: true },
    trace_url: null,
    search_mode: 'full_text',
    sources: [
      {
        section: 'differentials',
        sources: [
          { passage_id: uuid(10), kind: 'case_study', title: 'Varejo: plataforma de e-commerce lenta', heading_path: [], page: null, snippet: 'Levamos a plataforma de e-commerce de uma rede de varejo para Kubernetes na AWS em 12 semanas.', entry_id: uuid(4), document_id: null },
          { passage_id: uuid(11), kind: 'past_proposal', title: 'Proposta Rede Sul 2025', heading_path: ['Metodologia', 'Fases'], page: 4, snippet: 'Trabalhamos em quatro fases: descoberta, desenho, construção e operação assistida.', entry_id: null, document_id: uuid(5) },
        ],
      },
      { section: 'solution', sources: [{ passage_id: uuid(12), kind: 'service', title: 'Migração para Kubernetes', heading_path: [], page: null, snippet: 'Levamos aplicações a clusters Kubernetes gerenciados.', entry_id: uuid(6), document_id: null }] },
    ],
    team: [
      { person_id: uuid(20), name: 'Ana Lima', role_id: ARCHITECT, role_name: 'Arquiteto de soluções', seniority: 'senior', bio: 'Ana desenha migrações para a nuvem há dez anos.', project_role: 'Lidera a arquitetura da migração' },
      { person_id: uuid(21), name: 'Davi Melo', role_id: ANALYST, role_name: 'Analista', seniority: 'mid', bio: 'Davi cuida de pipelines de entrega.', project_role: 'Automatiza o deploy' },
    ],
    effort: { lines: effortLines, total, currency: 'BRL', unpriced_lines: effortLines.filter((item) => item.amount === null).length },
    budget_comparison: comparison,
    flags: [
      { section: 'differentials', text: 'Somos certificados ISO 27001.', reason: 'certification_without_source' },
      { section: 'differentials', text: 'Atendemos 300 clientes.', reason: 'number_without_source' },
    ],
  };
}

const VERSION_1 = proposal(
  1,
  'ready',
  [line('Descoberta', ARCHITECT, 'Arquiteto de soluções', '40.00', '187.35', '7494.00'), line('Construção', ARCHITECT, 'Arquiteto de soluções', '80.00', '187.35', '14988.00'), line('Construção', ANALYST, 'Analista', '20.00', null, null)],
  '22482.00',
  { budget: '20000.00', total: '22482.00', currency: 'BRL', verdict: 'over', difference_percent: '12.41' },
);

let frontend;
let browser;
let page;
const calls = [];

async function assertAccessible(name) {
  assert.deepEqual(await seriousViolations(page), [], `axe found serious or critical violations on ${name}`);
}

/** The fake gateway: the proposal, its versions, a refused event stream, and PATCH .../effort priced here. */
async function installGateway(frontendOrigin) {
  let current = VERSION_1;
  const cors = { 'Access-Control-Allow-Origin': frontendOrigin, 'Access-Control-Allow-Credentials': 'true', 'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-Match, Last-Event-ID, X-CSRF-Token', 'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS', Vary: 'Origin' };
  const json = (route, body, status = 200) => route.fulfill({ status, headers: { ...cors, 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' }, body: JSON.stringify(body) });
  await page.route(`${GATEWAY}/**`, async (route) => {
    const request = route.request();
    const { pathname } = new URL(request.url());
    const method = request.method();
    if (method === 'OPTIONS') return route.fulfill({ status: 204, headers: cors });
    calls.push({ method, path: pathname, body: request.postData() });
    if (request.headers()['authorization'] !== `Bearer ${TOKEN}`) return json(route, { title: 'Unauthorized', status: 401 }, 401);
    if (pathname === '/api/me') return json(route, { name: 'admin', admin: true });
    if (pathname === `/api/proposals/${ID}`) return json(route, current);
    if (pathname === `/api/proposals/${ID}/versions`) return json(route, { items: [] });
    if (pathname === `/api/proposals/${ID}/effort` && method === 'PATCH') {
      const { lines } = JSON.parse(request.postData());
      // Priced here as the gateway prices them: 10 h of the architect in discovery at 187.35.
      assert.deepEqual(lines[0], { phase: 'Descoberta', role_id: ARCHITECT, hours: '10' });
      current = proposal(
        2,
        'ready',
        [line('Descoberta', ARCHITECT, 'Arquiteto de soluções', '10.00', '187.35', '1873.50'), ...VERSION_1.effort.lines.slice(1)],
        '16861.50',
        { budget: '20000.00', total: '16861.50', currency: 'BRL', verdict: 'under', difference_percent: '-15.69' },
      );
      return json(route, { ...current, status: 'rendering' }, 202);
    }
    return json(route, { title: 'Not Found', status: 404 }, 404);
  });
}

describe('a grounded proposal page', { timeout: 120_000 }, () => {
  before(async () => {
    frontend = await startFrontend({ apiUrl: GATEWAY, port: await freePort() });
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'pt-BR' });
    page = await context.newPage();
    await installGateway(frontend.url);
  });

  after(async () => {
    await browser?.close();
    await frontend?.stop();
  });

  test('shows sources, flags, team, effort, budget and search mode, and a source opens from the keyboard', async () => {
    await page.goto(`${frontend.url}/proposals/${ID}`);
    await signInWithToken(page, TOKEN);
    const differentials = page.locator('article[data-section="differentials"]');
    await differentials.waitFor();
    assert.match(await page.getByTestId('search-mode').innerText(), /Biblioteca consultada só por texto/);
    const flags = differentials.getByRole('note', { name: /2 afirmações sem fonte — revisar/ });
    assert.match(await flags.innerText(), /Somos certificados ISO 27001\.[\s\S]*uma certificação que nenhuma fonte citada menciona/);
    assert.equal(await page.locator('article[data-section="solution"]').getByRole('note').count(), 0, 'no marker on a section without flags');
    const team = page.locator('article[data-section="team"]').getByTestId('team-people');
    assert.match(await team.innerText(), /Ana Lima\s+Arquiteto de soluções · Sênior\s+Nesta proposta: Lidera a arquitetura da migração/);
    const investment = page.locator('article[data-section="investment"]');
    assert.match(await investment.getByTestId('effort-total').innerText(), /^R\$\s22\.482,00$/);
    assert.match(await investment.getByTestId('budget-comparison').innerText(), /O total de R\$\s22\.482,00 está 12,41% acima do orçamento de R\$\s20\.000,00\./);
    assert.deepEqual(await investment.locator('tbody tr').last().locator('td').allInnerTexts(), ['Construção', 'Analista', '20', '—', '—']);
    await screenshot(page, 'grounding-01-proposal');
    await assertAccessible('the grounded proposal');

    const toggle = differentials.getByRole('button', { name: /Caso de sucesso\s*Varejo: plataforma de e-commerce lenta/ });
    await toggle.focus();
    await page.keyboard.press('Enter');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    const passage = differentials.getByRole('group', { name: 'Trecho de “Varejo: plataforma de e-commerce lenta”' });
    await passage.getByText(/Kubernetes na AWS em 12 semanas/).waitFor();
    assert.equal(await passage.getByRole('link', { name: 'Abrir na biblioteca' }).getAttribute('href'), `/library?tab=case-studies&edit=${uuid(4)}`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Abrir na biblioteca');
    await differentials.screenshot({ path: 'test-results/screenshots/grounding-02-source-open.png' });
    await assertAccessible('an open source passage');
    await page.keyboard.press('Escape');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await passage.isHidden(), true);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-expanded')), 'false', 'the focus is back on the source');
  });

  test('hours are edited, checked, sent without amounts, and the total shown is the one the API priced', async () => {
    const investment = page.locator('article[data-section="investment"]');
    await investment.getByRole('button', { name: 'Editar horas' }).click();
    const hours = investment.getByLabel('Horas de Arquiteto de soluções em Descoberta');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'effort-hours-0');
    await hours.fill('0');
    await investment.getByRole('button', { name: 'Salvar horas' }).click();
    await investment.getByText('Use um número maior que zero, com até duas casas decimais.').waitFor();
    assert.equal(await hours.getAttribute('aria-invalid'), 'true');
    await investment.screenshot({ path: 'test-results/screenshots/grounding-03-hours-invalid.png' });
    await assertAccessible('the hours editor with an error');
    assert.equal(calls.filter((call) => call.method === 'PATCH').length, 0, 'nothing sent while the hours are wrong');
    await hours.fill('10');
    await investment.getByRole('button', { name: 'Salvar horas' }).click();
    await page.getByText('Versão 2', { exact: true }).waitFor();
    await page.locator('article[data-section="investment"]').getByTestId('effort-total').getByText(/R\$\s16\.861,50/).waitFor();
    const patches = calls.filter((call) => call.method === 'PATCH');
    assert.equal(patches.length, 1);
    assert.deepEqual(JSON.parse(patches[0].body), {
      lines: [
        { phase: 'Descoberta', role_id: ARCHITECT, hours: '10' },
        { phase: 'Construção', role_id: ARCHITECT, hours: '80' },
        { phase: 'Construção', role_id: ANALYST, hours: '20' },
      ],
    });
    const budget = page.locator('article[data-section="investment"]').getByTestId('budget-comparison');
    assert.equal(await budget.getAttribute('data-verdict'), 'under');
    assert.match(await budget.innerText(), /15,69% abaixo do orçamento/);
    await screenshot(page, 'grounding-04-hours-saved');
  });

  test('the same page in English', async () => {
    await page.getByLabel('Idioma').selectOption('en');
    const differentials = page.locator('article[data-section="differentials"]');
    await differentials.getByRole('note', { name: /2 claims without a source — review/ }).waitFor();
    assert.match(await page.locator('article[data-section="investment"]').getByTestId('budget-comparison').innerText(), /The total of R\$\s?16,861\.50 is 15\.69% under the budget of R\$\s?20,000\.00\./);
    await page.locator('article[data-section="investment"]').getByRole('button', { name: 'Edit hours' }).waitFor();
    await assertAccessible('the grounded proposal in English');
    await page.getByLabel('Language').selectOption('pt-BR');
  });
});
