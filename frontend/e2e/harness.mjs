// The real system for browser tests: fake Ollama, `propos4l run` (embedded Redis and PostgreSQL), the built front end,
// and Debian's Chromium driven by playwright-core. Everything runs as child processes on free ports.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

export const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = resolve(FRONTEND, '..');
export const SCREENSHOTS = join(FRONTEND, 'test-results', 'screenshots');
export const ADMIN_TOKEN = 'e2e-frontend-admin-token-0123456789';
const PYTHON = process.env.PYTHON ?? join(REPO, '.venv', 'bin', 'python');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** A child process whose output is kept, with a way to wait for a line and to stop it. */
function start(command, args, options) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const output = [];
  const onData = (chunk) => output.push(chunk.toString());
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return {
    child,
    output: () => output.join(''),
    async waitFor(pattern, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const match = pattern.exec(output.join(''));
        if (match) return match;
        if (child.exitCode !== null) throw new Error(`${what} exited early:\n${output.join('').slice(-4000)}`);
        await sleep(200);
      }
      throw new Error(`${what} did not start in ${timeoutMs} ms:\n${output.join('').slice(-4000)}`);
    },
    async stop(signal = 'SIGINT', graceMs = 60_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((done) => child.once('exit', done));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

export async function startFakeOllama() {
  const process_ = start(PYTHON, ['-m', 'tests.support.fake_ollama', '--port', '0', '--chunk-delay', '0.15'], { cwd: REPO, env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  const match = await process_.waitFor(/fake-ollama listening on (http:\/\/\S+)/, 30_000, 'the fake Ollama');
  return { ...process_, url: match[1] };
}

export async function startSystem({ ollamaUrl, frontendOrigin }) {
  const port = await freePort();
  const env = { ...process.env };
  for (const name of ['REDIS_URL', 'DATABASE_URL', 'LLM_PROVIDER']) delete env[name];
  Object.assign(env, {
    PROPOS4L_DATA_DIR: mkdtempSync(join(tmpdir(), 'propos4l-fe-e2e-')),
    GATEWAY_PORT: String(port),
    PROPOS4L_ADMIN_TOKEN: ADMIN_TOKEN,
    OLLAMA_URL: ollamaUrl,
    // The library service indexes uploads; without an embedding server (the fake Ollama has none) search is
    // full-text only and says so, at once and deterministically.
    EMBEDDING_PROVIDER: 'none',
    CORS_ALLOWED_ORIGINS: JSON.stringify([frontendOrigin]),
    DELIVERY_VISIBILITY_TIMEOUT_SECONDS: '5',
    LLM_RETRY_BASE_SECONDS: '0.5',
    PYTHONUNBUFFERED: '1',
  });
  const process_ = start(PYTHON, ['-m', 'propos4l.shared.cli', 'run'], { cwd: REPO, env });
  await process_.waitFor(/running\. Press Ctrl-C/, 180_000, 'the local run');
  return { ...process_, url: `http://127.0.0.1:${port}` };
}

export async function startFrontend({ apiUrl, port }) {
  const server = join(FRONTEND, '.next', 'standalone', 'server.js');
  if (!existsSync(server)) throw new Error('build the front end first: npm run build');
  const process_ = start(process.execPath, [server], {
    cwd: join(FRONTEND, '.next', 'standalone'),
    env: { ...process.env, PORT: String(port), HOSTNAME: '127.0.0.1', NEXT_PUBLIC_API_URL: apiUrl, NODE_ENV: 'production' },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/proposals`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`the front end did not start:\n${process_.output()}`);
    await sleep(200);
  }
  return { ...process_, url, stop: () => process_.stop('SIGTERM', 10_000) };
}

/** What each browser test file starts before its tests: the fake Ollama, the system, the built front end on a free
 * port (its origin allowed by the gateway) and a browser. If one fails to start, what did start is stopped. */
export async function startStack() {
  const frontendPort = await freePort();
  const started = {};
  try {
    started.ollama = await startFakeOllama();
    started.system = await startSystem({ ollamaUrl: started.ollama.url, frontendOrigin: `http://127.0.0.1:${frontendPort}` });
    started.frontend = await startFrontend({ apiUrl: started.system.url, port: frontendPort });
    started.browser = await launchBrowser();
  } catch (error) {
    await stopStack(started);
    throw error;
  }
  return started;
}

/** Stops what startStack started, the browser first. */
export async function stopStack({ browser, frontend, system, ollama }) {
  await browser?.close();
  await frontend?.stop();
  await system?.stop();
  await ollama?.stop();
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** axe-core on the page: the serious and critical violations, described for an assertion message. */
export async function seriousViolations(page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes.map((node) => node.target.join(' ')).slice(0, 3).join(', ')}`);
}

/** Poll until `check` returns a truthy value; `message` may be a function, read when the wait times out. */
export async function eventually(check, { timeoutMs = 30_000, message = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof message === 'function' ? message() : message} (last: ${last})`);
    await sleep(250);
  }
}

/** Sign in on the sign-in page with an API token: its form is under "Entrar com um token de API" (password sign-in
 * comes first), opened here when it is closed. */
export async function signInWithToken(page, token) {
  const opener = page.getByText(/^(Entrar com um token de API|Sign in with an API token)$/);
  await opener.waitFor();
  const field = page.getByLabel(/^(Token de API|API token)$/);
  if (!(await field.isVisible())) await opener.click();
  await field.fill(token);
  await page.getByRole('button', { name: /^(Entrar com o token|Sign in with the token)$/ }).click();
}
