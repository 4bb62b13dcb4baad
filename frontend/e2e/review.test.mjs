// Browser test of review (issue #19) against the real system with a fake Ollama (see harness.mjs): an editor comments
// on a section and submits; a manager cannot approve plainly while the thread is open, resolves it, then approves.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, eventually, freePort, launchBrowser, screenshot, seriousViolations, signInWithToken, startFakeOllama, startFrontend, startSystem } from './harness.mjs';

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
    const frontendPort = await freePort();
    ollama = await startFakeOllama();
    system = await startSystem({ ollamaUrl: ollama.url, frontendOrigin: `http://127.0.0.1:${frontendPort}` });
    frontend = await startFrontend({ apiUrl: system.url, port: frontendPort });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await frontend?.stop();
    await system?.stop();
    await ollama?.stop();
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
});
