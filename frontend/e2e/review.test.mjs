// Browser test of review (issue #19) against the real system with a fake Ollama (see harness.mjs): an editor comments
// on a section and submits; a manager cannot approve plainly while the thread is open, resolves it, then approves.
// A comment thread on a requirement of the compliance matrix (a client's document read by the library service) is
// opened and resolved; the Send dialog makes a link with an access code and an expiry, shows it, and revokes it, at
// phone and desktop widths. axe-core on each state.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, eventually, screenshot, seriousViolations, signInWithToken, startStack, stopStack } from './harness.mjs';

let ollama;
let system;
let frontend;
let browser;

async function api(path, { token = ADMIN_TOKEN, method = 'GET', body } = {}) {
  const response = await fetch(`${system.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function person(email, displayName, role) {
  const user = await api('/api/users', { method: 'POST', body: { email, display_name: displayName, role } });
  const token = await api('/api/tokens', { method: 'POST', body: { name: displayName, role, owner_id: user.id } });
  return token.token;
}

async function assertAccessible(page, name) {
  assert.deepEqual(await seriousViolations(page), [], `axe found serious or critical violations on ${name}`);
}

describe('review in the browser', { timeout: 600_000 }, () => {
  before(async () => {
    ({ ollama, system, frontend, browser } = await startStack());
  });

  after(async () => {
    await stopStack({ browser, frontend, system, ollama });
  });

  test('submit, comment, approval blocked by the open thread, resolve, approve', async () => {
    await api('/api/approval-rules', { method: 'POST', body: { name: 'Descontos grandes', kind: 'discount_above', threshold: '10' } });
    const editorToken = await person('ana@example.com', 'Ana Souza', 'editor');
    const managerToken = await person('carla@example.com', 'Carla Dias', 'manager');
    const created = await api('/api/proposals', {
      token: editorToken,
      method: 'POST',
      body: { client_name: 'Banco Azul', industry: 'Bancos', requirements: 'Portal do cliente com Pix e integração ao core bancário.', discount_percent: '20' },
    });
    await eventually(async () => (await api(`/api/proposals/${created.id}`, { token: editorToken })).status === 'ready', { timeoutMs: 180_000, message: 'the proposal is ready' });

    // The editor: sees that it needs approval, comments on the scope mentioning the manager, submits.
    const editor = await (await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'pt-BR' })).newPage();
    await editor.goto(`${frontend.url}/proposals/${created.id}`);
    await signInWithToken(editor, editorToken);
    const panel = editor.getByTestId('review-panel');
    await panel.getByText('Descontos grandes').waitFor();
    assert.equal(await editor.locator('.proposal-meta [data-review-state]').getAttribute('data-review-state'), 'draft');
    const scopeThreads = editor.getByTestId('threads-section-scope');
    await scopeThreads.locator('summary').click();
    await scopeThreads.getByRole('textbox', { name: 'Comentário', exact: true }).fill('@[Carla Dias] o escopo inclui o app móvel?');
    await scopeThreads.getByRole('button', { name: 'Comentar' }).click();
    await scopeThreads.getByText('Menciona: Carla Dias').waitFor();
    await panel.getByRole('button', { name: 'Enviar para revisão' }).click();
    await panel.getByRole('button', { name: 'Enviar para revisão' }).click();
    await panel.getByText('Estado de revisão: Em revisão.').waitFor();
    await screenshot(editor, 'review-01-submitted');
    await assertAccessible(editor, 'the proposal in review, with a comment thread');

    // The manager: a plain approval is not offered while the thread is open; overriding needs a reason.
    const manager = await (await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'pt-BR' })).newPage();
    await manager.goto(`${frontend.url}/proposals/${created.id}`);
    await signInWithToken(manager, managerToken);
    const managerPanel = manager.getByTestId('review-panel');
    await managerPanel.getByText('1 conversa(s) aberta(s).').waitFor();
    assert.equal(await managerPanel.getByRole('button', { name: 'Aprovar', exact: true }).count(), 0);
    await managerPanel.getByRole('button', { name: 'Aprovar mesmo com conversas abertas' }).click();
    await managerPanel.getByRole('button', { name: 'Aprovar mesmo com conversas abertas' }).click();
    await managerPanel.getByText('Aprovar com conversas abertas exige um motivo.').waitFor();
    await managerPanel.getByRole('button', { name: 'Cancelar' }).click();
    await screenshot(manager, 'review-02-approval-blocked');

    // Resolve the thread, then approve.
    const managerScope = manager.getByTestId('threads-section-scope');
    await managerScope.getByRole('button', { name: 'Resolver' }).click();
    await managerScope.getByText('Resolvida').waitFor();
    await eventually(async () => (await managerPanel.getByRole('button', { name: 'Aprovar', exact: true }).count()) === 1, { message: 'the plain approval once no thread is open' });
    await managerPanel.getByRole('button', { name: 'Aprovar', exact: true }).click();
    await managerPanel.getByRole('button', { name: 'Aprovar', exact: true }).click();
    await managerPanel.getByText('Estado de revisão: Aprovada.').waitFor();
    await managerPanel.getByText('Versão 1 aprovada.').waitFor();
    assert.equal(await manager.locator('.proposal-meta [data-review-state]').getAttribute('data-review-state'), 'approved');
    await screenshot(manager, 'review-03-approved');
    await assertAccessible(manager, 'the approved proposal');
    const review = await api(`/api/proposals/${created.id}/review`, { token: managerToken });
    assert.deepEqual(review.transitions.map((move) => [move.to_state, move.actor]), [['in_review', 'Ana Souza'], ['approved', 'Carla Dias']]);
  });
  // A proposal without discount (no approval rule matches it: it may be sent), with a client's document read into
  // a compliance matrix; made once for the tests below.
  let matrixProposal;
  async function proposalWithMatrix() {
    if (matrixProposal) return matrixProposal;
    const created = await api('/api/proposals', {
      method: 'POST',
      body: { client_name: 'Prefeitura de Vale Verde', industry: 'Setor público', requirements: 'Sistema de protocolo digital conforme o edital anexo.' },
    });
    const edital = [
      'PREFEITURA MUNICIPAL DE VALE VERDE',
      'OBJETO: Contratação de empresa para implantação de sistema de protocolo digital.',
      '5. DAS OBRIGAÇÕES DA CONTRATADA',
      '5.1 A CONTRATADA deverá manter sigilo sobre os dados pessoais a que tiver acesso.',
      '5.2 A licitante deverá apresentar atestado de capacidade técnica.',
    ].join('\n');
    const form = new FormData();
    form.append('file', new Blob([edital], { type: 'text/plain' }), 'edital.txt');
    const attached = await fetch(`${system.url}/api/proposals/${created.id}/documents`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, body: form });
    assert.ok(attached.ok, `attach: ${attached.status} ${await attached.text()}`);
    const requirements = await eventually(
      async () => {
        const matrix = await api(`/api/proposals/${created.id}/requirements`);
        return matrix.items.length > 0 && matrix.items;
      },
      { timeoutMs: 120_000, message: 'the requirements of the attached document' },
    );
    await eventually(async () => (await api(`/api/proposals/${created.id}`)).status === 'ready', { timeoutMs: 180_000, message: 'the proposal is ready' });
    matrixProposal = { id: created.id, requirement: requirements[0] };
    return matrixProposal;
  }

  test('a comment thread on a requirement of the compliance matrix is opened and resolved', async () => {
    const { id, requirement } = await proposalWithMatrix();
    const page = await (await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'pt-BR' })).newPage();
    await page.goto(`${frontend.url}/proposals/${id}`);
    await signInWithToken(page, ADMIN_TOKEN);
    const threads = page.getByTestId(`threads-requirement-${requirement.id}`);
    await threads.locator('summary').click();
    await threads.getByRole('textbox', { name: 'Comentário', exact: true }).fill('Temos o atestado de capacidade técnica deste porte?');
    await threads.getByRole('button', { name: 'Comentar' }).click();
    await threads.getByText('Temos o atestado de capacidade técnica deste porte?').waitFor();
    await threads.getByText('Aberta', { exact: true }).waitFor();
    await page.getByTestId('review-panel').getByText('1 conversa(s) aberta(s).').waitFor();
    await screenshot(page, 'review-04-requirement-thread');
    await assertAccessible(page, 'the compliance matrix with a comment thread on a requirement');

    await threads.getByRole('button', { name: 'Resolver' }).click();
    await threads.getByText('Resolvida', { exact: true }).waitFor();
    const { items } = await api(`/api/proposals/${id}/threads`);
    assert.deepEqual(
      items.map((thread) => [thread.anchor_kind, thread.anchor, thread.resolved]),
      [['requirement', requirement.id, true]],
    );
    await assertAccessible(page, 'the compliance matrix with a resolved thread');
  });

  for (const [name, viewport, options] of [
    ['phone', { width: 390, height: 844 }, { isMobile: true, hasTouch: true }],
    ['desktop', { width: 1366, height: 900 }, {}],
  ]) {
    test(`the Send dialog makes a link with an access code and an expiry, shows it, and revokes it (${name})`, async () => {
      const { id } = await proposalWithMatrix();
      const before = (await api(`/api/proposals/${id}/share-links`)).links.length;
      const page = await (await browser.newContext({ viewport, locale: 'pt-BR', ...options })).newPage();
      await page.goto(`${frontend.url}/proposals/${id}`);
      await signInWithToken(page, ADMIN_TOKEN);
      const panel = page.locator('section.share-panel');
      await panel.getByRole('button', { name: /^(Enviar…|Criar outro link…)$/ }).click();
      const dialog = page.getByRole('dialog', { name: 'Enviar a versão 1' });
      await dialog.getByLabel(/^Validade do link \(dias\)/).fill('7');
      await dialog.getByLabel(/^Código de acesso/).fill('VALE-2027');
      await assertAccessible(page, `the Send dialog (${name})`);
      await dialog.getByRole('button', { name: 'Enviar e criar o link' }).click();

      const shown = page.getByTestId('new-share-link');
      await shown.getByRole('heading', { name: 'Link criado' }).waitFor();
      const url = await shown.getByLabel('Link para o cliente').inputValue();
      const token = url.match(/\/share#([A-Za-z0-9_-]{43,})$/)?.[1];
      assert.ok(token, `the link shown: ${url}`);
      await screenshot(page, `review-05-link-made-${name}`);
      await assertAccessible(page, `the new link (${name})`);
      const links = (await api(`/api/proposals/${id}/share-links`)).links;
      assert.equal(links.length, before + 1);
      const made = links.find((link) => link.state === 'active');
      assert.ok(made?.has_access_code, 'the new link has an access code');
      const days = (Date.parse(made.expires_at) - Date.parse(made.created_at)) / 86_400_000;
      assert.ok(Math.abs(days - 7) < 0.01, `the link works 7 days (${days})`);
      const withoutCode = await fetch(`${system.url}/api/public/share/${token}`);
      assert.equal(withoutCode.status, 403, 'the link asks for its access code');
      assert.equal((await withoutCode.json()).code, 'access_code_required');

      await shown.getByRole('button', { name: 'Fechar' }).click();
      const item = panel.locator('li.share-link').filter({ hasText: 'ativo' });
      await item.getByText('com código').waitFor();
      await item.getByRole('button', { name: /^Revogar o link criado em / }).click();
      await panel.getByText('Link revogado: ele não abre mais.').waitFor();
      await eventually(async () => (await panel.locator('li.share-link').filter({ hasText: 'ativo' }).count()) === 0, { message: 'no active link left' });
      assert.deepEqual(
        (await api(`/api/proposals/${id}/share-links`)).links.map((link) => link.state),
        Array(before + 1).fill('revoked'),
      );
      assert.equal((await fetch(`${system.url}/api/public/share/${token}`)).status, 404, 'a revoked link no longer opens');
      await screenshot(page, `review-06-link-revoked-${name}`);
      await assertAccessible(page, `the revoked link (${name})`);
    });
  }
});
