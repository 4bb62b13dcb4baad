// Browser test of the client's share page (issue #19): the built front end in Chromium against a fake gateway
// answering the public share routes through page.route. A phone (390x844) accepts a pt-BR proposal; a desktop opens an
// English one behind an access code and declines it; axe-core on each state; the time-on-page beacon is sent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, launchBrowser, screenshot, seriousViolations, startFrontend } from './harness.mjs';

const GATEWAY = 'http://gateway.invalid:8000';
const TOKEN_PT = 'pt-token-0123456789abcdefghijklmnopqrstuvwxyzABCD';
const TOKEN_EN = 'en-token-0123456789abcdefghijklmnopqrstuvwxyzABCD';
const CODE = 'ABC-1234';
const VISIT = '4f0c1e2b-1a4c-4d55-9d0e-7a1f00000001';
const KEYS = ['executive_summary', 'context', 'solution', 'scope', 'methodology', 'timeline', 'team', 'investment', 'differentials', 'terms'];
const TITLES = {
  'pt-BR': ['Sumário executivo', 'Contexto e necessidades', 'Solução proposta', 'Escopo', 'Metodologia', 'Cronograma', 'Equipe', 'Investimento', 'Diferenciais', 'Condições gerais'],
  en: ['Executive summary', 'Context and needs', 'Proposed solution', 'Scope', 'Methodology', 'Timeline', 'Team', 'Investment', 'Differentials', 'Terms'],
};

function shared(language, clientName) {
  return {
    language,
    client_name: clientName,
    version: 2,
    sections: KEYS.map((key, index) => ({ key, title: TITLES[language][index], content: `**${TITLES[language][index]}**: ${'texto da proposta com detalhes suficientes para ler. '.repeat(6)}\n\n- um item\n- outro item` })),
    investment: {
      currency: 'BRL',
      lines: [
        { description: 'Descoberta e desenho da arquitetura de integração', quantity: '1', unit_price: '48000.00', amount: '48000.00' },
        { description: 'Construção', quantity: '3', unit_price: '94500.00', amount: '283500.00' },
      ],
      subtotal: '331500.00',
      discount_percent: '8',
      discount: '26520.00',
      net: '304980.00',
      taxes: [{ label: 'ISS', rate: '5', amount: '15249.00' }],
      total: '320229.00',
      pricing_source: 'template',
      note: null,
    },
    brand: { company_name: 'Consultoria Exemplo', primary: '#14365d', accent: '#c98a00', text: '#1f2933', muted: '#616e7c' },
    expires_at: '2027-01-05T12:00:00Z',
    visit_id: VISIT,
    answer: null,
    signing_configured: true,
    state: 'sent',
  };
}

function answer(decision, body) {
  return {
    decision,
    version: 2,
    name: body.name,
    email: body.email,
    role: body.role ?? null,
    note: body.note ?? null,
    reason: body.reason ?? null,
    answered_at: '2026-12-06T15:30:00Z',
    address: null,
    accepted_pdf_sha256: decision === 'accepted' ? 'a'.repeat(64) : null,
    final_pdf_available: decision === 'accepted',
    signature_level: decision === 'accepted' ? 'B-B' : null,
    final_pdf_problem: null,
  };
}

let frontend;
let browser;
const calls = [];

async function installGateway(page, frontendOrigin) {
  const cors = { 'Access-Control-Allow-Origin': frontendOrigin, 'Access-Control-Allow-Headers': 'Content-Type, X-Access-Code', 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS', Vary: 'Origin' };
  const json = (route, body, status = 200) => route.fulfill({ status, headers: { ...cors, 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' }, body: JSON.stringify(body) });
  await page.route(`${GATEWAY}/**`, async (route) => {
    const request = route.request();
    const { pathname } = new URL(request.url());
    const method = request.method();
    if (method === 'OPTIONS') return route.fulfill({ status: 204, headers: cors });
    calls.push({ method, path: pathname, body: request.postData(), code: request.headers()['x-access-code'] ?? null, cookie: request.headers()['cookie'] ?? null });
    const [, , , , token, action, visit] = pathname.split('/');
    if (!pathname.startsWith('/api/public/share/') || (token !== TOKEN_PT && token !== TOKEN_EN)) {
      return json(route, { title: 'Not Found', status: 404, code: 'share_link_not_found' }, 404);
    }
    if (token === TOKEN_EN) {
      const given = request.headers()['x-access-code'];
      if (!given) return json(route, { status: 403, code: 'access_code_required' }, 403);
      if (given !== CODE) return json(route, { status: 403, code: 'access_code_wrong' }, 403);
    }
    if (!action && method === 'GET') return json(route, token === TOKEN_PT ? shared('pt-BR', 'Cooperativa Vale Verde') : { ...shared('en', 'Northwind Logistics'), signing_configured: false });
    if (action === 'visits' && visit === VISIT && method === 'POST') return route.fulfill({ status: 204, headers: cors });
    if ((action === 'accept' || action === 'decline') && method === 'POST') {
      const body = JSON.parse(request.postData());
      return json(route, answer(action === 'accept' ? 'accepted' : 'declined', body));
    }
    if ((action === 'pdf' || action === 'final-pdf') && method === 'GET') {
      return route.fulfill({ status: 200, headers: { ...cors, 'Content-Type': 'application/pdf' }, body: '%PDF-1.7 fake' });
    }
    return json(route, { status: 404, code: 'share_link_not_found' }, 404);
  });
}

async function assertAccessible(page, name) {
  assert.deepEqual(await seriousViolations(page), [], `axe found serious or critical violations on ${name}`);
}

describe('the client share page', { timeout: 120_000 }, () => {
  before(async () => {
    frontend = await startFrontend({ apiUrl: GATEWAY, port: await freePort() });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await frontend?.stop();
  });

  test('on a phone: the proposal reads in pt-BR without the app around it, the PDF downloads, and it is accepted', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'pt-BR', isMobile: true, hasTouch: true, acceptDownloads: true });
    const page = await context.newPage();
    await installGateway(page, frontend.url);
    await page.goto(`${frontend.url}/share#${TOKEN_PT}`);
    await page.getByRole('heading', { level: 1, name: 'Proposta para Cooperativa Vale Verde' }).waitFor();
    assert.equal(await page.locator('header.topbar').count(), 0, 'no app header, navigation or sign-in on the public page');
    assert.equal(await page.locator('main').getAttribute('lang'), 'pt-BR');
    assert.match(await page.getByText('Enviada por Consultoria Exemplo').innerText(), /Consultoria Exemplo/);
    assert.equal(await page.getByRole('heading', { level: 2 }).filter({ hasText: 'Solução proposta' }).count(), 1);
    const total = page.locator('.share-total td');
    assert.match(await total.innerText(), /^R\$\s320\.229,00$/);
    await page.getByRole('heading', { name: 'Privacidade' }).waitFor();
    assert.match(await page.locator('.share-privacy').innerText(), /sem guardar seu endereço IP/);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px on a phone`);
    await screenshot(page, 'share-01-phone');
    await assertAccessible(page, 'the share page on a phone');

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Baixar o PDF' }).click();
    assert.equal((await download).suggestedFilename(), 'proposta-v2.pdf');

    await page.getByLabel('Nome').fill('Ana Souza');
    await page.getByLabel('E-mail').fill('ana@cooperativa.example');
    await page.getByLabel(/^Cargo/).fill('Diretora de TI');
    await page.getByLabel(/^Observação/).fill('De acordo.');
    await page.getByRole('button', { name: 'Aceitar', exact: true }).click();
    await page.getByText('Proposta aceita por Ana Souza').waitFor();
    assert.match(await page.getByRole('status').filter({ hasText: 'aceita' }).innerText(), /assinado digitalmente pela consultoria \(PAdES B-B\)/);
    const accepted = calls.find((call) => call.path.endsWith('/accept'));
    assert.deepEqual(JSON.parse(accepted.body), { name: 'Ana Souza', email: 'ana@cooperativa.example', role: 'Diretora de TI', note: 'De acordo.' });
    assert.equal(accepted.cookie, null, 'the public page sends no cookie');
    await page.getByRole('button', { name: 'Baixar o PDF final' }).waitFor();
    await screenshot(page, 'share-02-phone-accepted');
    await assertAccessible(page, 'the accepted share page on a phone');

    await page.evaluate(() => window.dispatchEvent(new Event('pagehide')));
    const beacon = await (async () => {
      for (let tries = 0; tries < 40; tries += 1) {
        const found = calls.find((call) => call.path === `/api/public/share/${TOKEN_PT}/visits/${VISIT}`);
        if (found) return found;
        await new Promise((done) => setTimeout(done, 100));
      }
      return null;
    })();
    assert.ok(beacon, 'the time-on-page beacon was sent');
    assert.ok(Number.isInteger(JSON.parse(beacon.body).seconds));
    await context.close();
  });

  test('on a desktop: an English proposal behind an access code is declined with a reason', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    await installGateway(page, frontend.url);
    await page.goto(`${frontend.url}/share#${TOKEN_EN}`);
    await page.getByRole('heading', { level: 1, name: 'This proposal is protected by a code' }).waitFor();
    await assertAccessible(page, 'the access code form');
    await page.getByLabel('Access code').fill('WRONG');
    await page.getByRole('button', { name: 'Open the proposal' }).click();
    await page.getByText('The access code is wrong.').waitFor();
    await page.getByLabel('Access code').fill(CODE);
    await page.getByRole('button', { name: 'Open the proposal' }).click();
    await page.getByRole('heading', { level: 1, name: 'Proposal for Northwind Logistics' }).waitFor();
    assert.equal(await page.locator('main').getAttribute('lang'), 'en');
    await page.getByText("This proposal's final PDF will have the acceptance record, but it will not be digitally signed.").waitFor();
    await screenshot(page, 'share-03-desktop');
    await assertAccessible(page, 'the share page on a desktop');

    await page.getByLabel('Decline the proposal').check();
    await page.getByLabel('Name').fill('John Reed');
    await page.getByLabel('E-mail').fill('john@northwind.example');
    await page.getByRole('button', { name: 'Decline', exact: true }).click();
    assert.equal(calls.filter((call) => call.path.endsWith('/decline')).length, 0, 'no decline without its reason');
    await page.getByLabel('Reason for declining').fill('The budget moved to next year.');
    await page.getByRole('button', { name: 'Decline', exact: true }).click();
    await page.getByText('Proposal declined by John Reed').waitFor();
    const declined = calls.find((call) => call.path.endsWith('/decline'));
    assert.equal(declined.code, CODE);
    assert.deepEqual(JSON.parse(declined.body), { name: 'John Reed', email: 'john@northwind.example', reason: 'The budget moved to next year.' });
    await screenshot(page, 'share-04-desktop-declined');
    await assertAccessible(page, 'the declined share page');
    await context.close();
  });

  test('an unknown link says so, in the browser language, without an oracle', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'pt-BR' });
    const page = await context.newPage();
    await installGateway(page, frontend.url);
    await page.goto(`${frontend.url}/share#not-a-real-token`);
    await page.getByRole('alert').getByText(/Este link não funciona/).waitFor();
    await assertAccessible(page, 'an unknown link');
    await context.close();
  });
});
