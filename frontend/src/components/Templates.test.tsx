import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Template, TemplateUpload } from '@/lib/types';
import { ADMIN, jsonResponse, renderApp, SELLER } from '@/test-utils';
import { Shell } from './Shell';
import { Templates } from './Templates';

afterEach(() => vi.unstubAllGlobals());

const FONT_SHA = 'd'.repeat(64);
const HTML = '<img src="{{ brand.logo }}"><h1>{{ brand.company_name }}</h1>';
const CSS = 'h1 { color: var(--primary); }';
const LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>';

function template(name: string, overrides: Partial<Template> = {}): Template {
  return {
    name,
    version: 3,
    current_version: 3,
    description: 'Layout A4',
    company_name: 'Propos4l Consultoria',
    is_default: name === 'default',
    updated_at: '2025-03-04T13:05:00Z',
    url: `/api/templates/${name}`,
    manifest: {
      name,
      version: '2.0.0',
      description: 'Layout A4',
      validity_days: 30,
      brand: {
        company_name: 'Propos4l Consultoria',
        colors: { primary: '#12355B', accent: '#1A9E8F', text: '#1F2933', muted: '#5F6B7A' },
        logo: 'assets/logo.svg',
        details: { legal_name: 'Propos4l Ltda.', tax_id: null },
        signatory: { name: 'Marina', role: 'Diretora' },
      },
      pricing: { currency: 'BRL', taxes: [{ label: 'ISS', rate: '5' }] },
    },
    files: [
      { path: 'assets/fonts/Inter-Regular.otf', size: 300000, sha256: FONT_SHA, media_type: 'font/otf', text: null, url: `/api/templates/${name}/files/assets/fonts/Inter-Regular.otf?version=3` },
      { path: 'assets/logo.svg', size: LOGO_SVG.length, sha256: 'e'.repeat(64), media_type: 'image/svg+xml', text: LOGO_SVG, url: `/api/templates/${name}/files/assets/logo.svg?version=3` },
      { path: 'manifest.json', size: 900, sha256: 'a'.repeat(64), media_type: 'application/json', text: `{"name": "${name}"}`, url: `/api/templates/${name}/files/manifest.json?version=3` },
      { path: 'style.css', size: CSS.length, sha256: 'c'.repeat(64), media_type: 'text/css', text: CSS, url: `/api/templates/${name}/files/style.css?version=3` },
      { path: 'template.html', size: HTML.length, sha256: 'b'.repeat(64), media_type: 'text/html', text: HTML, url: `/api/templates/${name}/files/template.html?version=3` },
    ],
    history: [
      { version: 3, action: 'updated', tree_sha256: 'f'.repeat(64), created_by: 'token:Ops', created_at: '2025-03-04T13:05:00Z' },
      { version: 2, action: 'updated', tree_sha256: 'f'.repeat(64), created_by: 'admin', created_at: '2025-03-03T10:00:00Z' },
      { version: 1, action: 'installed', tree_sha256: 'f'.repeat(64), created_by: 'system', created_at: '2025-03-01T09:00:00Z' },
    ],
    ...overrides,
  };
}

interface Call {
  method: string;
  path: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

type Answer = (call: Call) => Response | undefined;

/** A fake gateway keeping templates by name; `answer` may answer a call first (a 412, a 422...). */
function fakeGateway({ initial = [template('default')], answer, principal = ADMIN }: { initial?: Template[]; answer?: Answer; principal?: typeof ADMIN } = {}) {
  const templates = new Map(initial.map((item) => [item.name, item]));
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    const parsed = new URL(url);
    const call: Call = {
      method: init?.method ?? 'GET',
      path: parsed.pathname,
      url,
      headers: (init?.headers as Record<string, string>) ?? {},
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    if (call.path === '/api/me') return jsonResponse(principal);
    const answered = answer?.(call);
    if (answered) return answered;
    if (call.path === '/api/templates') return jsonResponse({ items: [...templates.values()].map(({ manifest: _m, files: _f, history: _h, ...summary }) => summary) });
    const file = /^\/api\/templates\/([^/]+)\/files\/(.+)$/.exec(call.path);
    if (file) return new Response(LOGO_SVG, { headers: { 'Content-Type': 'image/svg+xml' } });
    const name = decodeURIComponent(call.path.split('/')[3] ?? '');
    const stored = templates.get(name);
    if (call.method === 'GET' && stored) return jsonResponse(stored);
    if (call.method === 'PUT') {
      const upload = call.body as TemplateUpload;
      const version = (stored?.version ?? 0) + 1;
      const saved = template(name, {
        version,
        current_version: version,
        is_default: name === 'default',
        manifest: { name, ...upload.manifest },
        history: [{ version, action: stored ? 'updated' : 'installed', tree_sha256: null, created_by: 'admin', created_at: '2025-03-05T12:00:00Z' }, ...(stored?.history ?? [])],
      });
      templates.set(name, saved);
      return jsonResponse(saved, stored ? 200 : 201);
    }
    if (call.method === 'DELETE' && stored) {
      templates.delete(name);
      return jsonResponse({ name, version: (stored.version ?? 0) + 1, deleted: true });
    }
    if (call.method === 'POST' && call.path.endsWith('/preview')) return new Response('%PDF-1.7', { headers: { 'Content-Type': 'application/pdf' } });
    return jsonResponse({ title: 'Not Found', status: 404, detail: `There is no template named '${name}'.` }, 404);
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, templates };
}

const puts = (calls: Call[]) => calls.filter((call) => call.method === 'PUT');
const problem = (status: number, body: object) => jsonResponse({ type: 'about:blank', status, ...body }, status);

function renderTemplates(options: { locale?: 'pt-BR' | 'en'; token?: string } = {}) {
  return renderApp(
    <Shell title="Modelos">
      <Templates />
    </Shell>,
    { token: options.token ?? 'admin-token', locale: options.locale },
  );
}

async function openEditor(name = 'default') {
  fireEvent.click(await screen.findByRole('button', { name: `Editar: ${name}` }));
  await screen.findByLabelText('Nome da empresa');
}

describe('creating a template', () => {
  it('checks the name, then PUTs a copy of the chosen template (text files as text, binaries by SHA-256) and opens it', async () => {
    const { calls } = fakeGateway();
    renderTemplates();
    fireEvent.click(await screen.findByRole('button', { name: 'Novo modelo' }));
    const form = screen.getByRole('region', { name: 'Novo modelo' });
    const name = within(form).getByLabelText('Nome');
    await waitFor(() => expect(document.activeElement).toBe(name));
    expect((within(form).getByLabelText('Começar a partir de') as HTMLSelectElement).value).toBe('default');

    fireEvent.change(name, { target: { value: 'Acme Corp' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Criar modelo' }));
    expect(await within(form).findByText(/Use de 1 a 64 letras minúsculas/)).toBeTruthy();
    expect(name.getAttribute('aria-invalid')).toBe('true');
    fireEvent.change(name, { target: { value: 'default' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Criar modelo' }));
    expect(await within(form).findByText('Já existe um modelo com este nome.')).toBeTruthy();
    expect(puts(calls)).toEqual([]);

    fireEvent.change(name, { target: { value: 'acme' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Criar modelo' }));
    const title = await screen.findByRole('heading', { name: /^acme/, level: 2 });
    await waitFor(() => expect(document.activeElement).toBe(title));
    const [put] = puts(calls);
    expect(put?.url).toBe('http://gateway.test/api/templates/acme');
    expect(put?.headers['If-Match']).toBe('"0"');
    const { name: _name, ...manifestWithoutName } = template('default').manifest;
    expect(put?.body).toEqual({
      manifest: manifestWithoutName,
      files: {
        'assets/fonts/Inter-Regular.otf': { sha256: FONT_SHA },
        'assets/logo.svg': { text: LOGO_SVG },
        'style.css': { text: CSS },
        'template.html': { text: HTML },
      },
    });
    expect(screen.getByText('Modelo “acme” criado a partir de “default”. Edite-o abaixo.')).toBeTruthy();
    expect(await screen.findByRole('button', { name: 'Editar: acme' })).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'Novo modelo' })).toBeNull();
  });

  it("shows the gateway's 422 detail next to the name, and a name taken meanwhile (412) as taken", async () => {
    let answer: Response | undefined = problem(422, { title: 'Unprocessable Entity', detail: "'acme' is not a valid template name: use 1 to 64 lowercase letters." });
    fakeGateway({ answer: (call) => (call.method === 'PUT' ? answer : undefined) });
    renderTemplates({ locale: 'en' });
    fireEvent.click(await screen.findByRole('button', { name: 'New template' }));
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'acme' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create template' }));
    const detail = await screen.findByText("'acme' is not a valid template name: use 1 to 64 lowercase letters.");
    expect(detail.id).toBe('field-template-name-error');

    answer = problem(412, { title: 'Precondition Failed', detail: "The template 'acme' is at version 2, not 0: it changed since you read it." });
    fireEvent.click(screen.getByRole('button', { name: 'Create template' }));
    expect(await screen.findByText('A template with this name already exists.')).toBeTruthy();
    expect(screen.queryByRole('heading', { name: /^acme/ })).toBeNull();
  });

  it('cancelling puts the focus back on the button', async () => {
    fakeGateway();
    renderTemplates();
    const button = await screen.findByRole('button', { name: 'Novo modelo' });
    fireEvent.click(button);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    fireEvent.click(within(screen.getByRole('region', { name: 'Novo modelo' })).getByRole('button', { name: 'Cancelar' }));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Novo modelo' })));
  });
});

describe('editing the brand and pricing', () => {
  it('sends the changed company name, colour, currency and taxes in the manifest, with If-Match the version opened', async () => {
    const { calls } = fakeGateway();
    renderTemplates();
    await openEditor();
    expect((screen.getByLabelText('Primária') as HTMLInputElement).value).toBe('#12355b');
    fireEvent.change(screen.getByLabelText('Nome da empresa'), { target: { value: '  Acme Consultoria ' } });
    fireEvent.change(screen.getByLabelText('Primária'), { target: { value: '#c2410c' } });
    fireEvent.change(screen.getByLabelText('Moeda'), { target: { value: 'usd' } });
    expect((screen.getByLabelText('Moeda') as HTMLInputElement).value).toBe('USD');
    fireEvent.change(screen.getByLabelText('Alíquota (%) do imposto 1'), { target: { value: '2,5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Adicionar imposto' }));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText('Nome do imposto 2')));
    fireEvent.change(screen.getByLabelText('Nome do imposto 2'), { target: { value: 'PIS' } });
    fireEvent.change(screen.getByLabelText('Alíquota (%) do imposto 2'), { target: { value: '0.65' } });
    fireEvent.click(screen.getByRole('button', { name: 'Adicionar imposto' }));
    fireEvent.click(screen.getByRole('button', { name: 'Remover o imposto 3' }));
    fireEvent.click(screen.getByRole('button', { name: 'Salvar' }));

    const message = await screen.findByText('Modelo salvo: versão 4.');
    await waitFor(() => expect(document.activeElement).toBe(message.closest('.alert')));
    const [put] = puts(calls);
    expect(put?.headers['If-Match']).toBe('"3"');
    const original = template('default').manifest as { brand: Record<string, unknown>; [key: string]: unknown };
    expect((put?.body as TemplateUpload).manifest).toEqual({
      version: '2.0.0',
      description: 'Layout A4',
      validity_days: 30,
      brand: {
        ...original.brand,
        company_name: 'Acme Consultoria',
        colors: { primary: '#c2410c', accent: '#1A9E8F', text: '#1F2933', muted: '#5F6B7A' },
      },
      pricing: {
        currency: 'USD',
        taxes: [
          { label: 'ISS', rate: '2.5' },
          { label: 'PIS', rate: '0.65' },
        ],
      },
    });
    expect((put?.body as TemplateUpload).files['assets/fonts/Inter-Regular.otf']).toEqual({ sha256: FONT_SHA });
    expect(screen.getByRole('heading', { name: /versão 4/, level: 2 })).toBeTruthy();
  });

  it('previews the unsaved brand', async () => {
    const { calls } = fakeGateway();
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: vi.fn(() => 'blob:preview'), revokeObjectURL: vi.fn() }));
    renderTemplates();
    await openEditor();
    fireEvent.change(screen.getByLabelText('Nome da empresa'), { target: { value: 'Acme' } });
    fireEvent.click(screen.getByRole('button', { name: 'Pré-visualizar PDF' }));
    expect(await screen.findByTitle('Pré-visualizar PDF: default')).toBeTruthy();
    const post = calls.find((call) => call.method === 'POST');
    expect(post?.url).toBe('http://gateway.test/api/templates/default/preview?language=pt-BR');
    expect(((post?.body as TemplateUpload).manifest['brand'] as Record<string, unknown>)['company_name']).toBe('Acme');
    expect(puts(calls)).toEqual([]);
  });

  it('shows the history: version, change, who and when', async () => {
    fakeGateway();
    renderTemplates({ locale: 'en' });
    fireEvent.click(await screen.findByRole('button', { name: 'Edit: default' }));
    const history = await screen.findByRole('region', { name: 'History' });
    const rows = within(history)
      .getAllByRole('row')
      .slice(1)
      .map((row) => Array.from(row.children).map((cell) => cell.textContent));
    const date = (iso: string) => new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
    expect(rows).toEqual([
      ['3 (opened)', 'Updated', 'Ops', date('2025-03-04T13:05:00Z')],
      ['2', 'Updated', 'admin', date('2025-03-03T10:00:00Z')],
      ['1', 'Created', 'system', date('2025-03-01T09:00:00Z')],
    ]);
  });
});

describe('replacing the logo', () => {
  it('reads the image in the browser and uploads it as base64 in place of the old logo', async () => {
    const { calls } = fakeGateway();
    renderTemplates();
    await openEditor();
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 255, 128]);
    fireEvent.change(screen.getByLabelText('Trocar o logotipo'), { target: { files: [new File([bytes], 'acme.png', { type: 'image/png' })] } });
    expect(await screen.findByText(/Novo logotipo: acme\.png/)).toBeTruthy();
    expect(screen.getByRole('img', { name: 'acme.png' }).getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    fireEvent.click(screen.getByRole('button', { name: 'Salvar' }));
    await screen.findByText('Modelo salvo: versão 4.');
    const body = puts(calls)[0]?.body as TemplateUpload;
    expect(body.files['assets/logo.png']).toEqual({ base64: Buffer.from(bytes).toString('base64') });
    expect(body.files['assets/logo.svg']).toBeUndefined();
    expect((body.manifest['brand'] as Record<string, unknown>)['logo']).toBe('assets/logo.png');
    expect(screen.queryByText(/Novo logotipo/)).toBeNull();
  });

  it('refuses a file that is not an image a template may hold, and can go back to the current logo', async () => {
    const { calls } = fakeGateway();
    renderTemplates();
    await openEditor();
    const input = screen.getByLabelText('Trocar o logotipo');
    fireEvent.change(input, { target: { files: [new File(['%PDF'], 'logo.pdf', { type: 'application/pdf' })] } });
    expect(await screen.findByText('Escolha uma imagem PNG, JPEG, GIF, WebP ou SVG.')).toBeTruthy();
    expect(input.getAttribute('aria-invalid')).toBe('true');
    fireEvent.change(input, { target: { files: [new File(['<svg/>'], 'novo.svg', { type: 'image/svg+xml' })] } });
    await screen.findByText(/Novo logotipo: novo\.svg/);
    fireEvent.click(screen.getByRole('button', { name: 'Manter o logotipo atual' }));
    expect(screen.queryByText(/Novo logotipo/)).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Salvar' }));
    await screen.findByText('Modelo salvo: versão 4.');
    const body = puts(calls)[0]?.body as TemplateUpload;
    expect(body.files['assets/logo.svg']).toEqual({ text: LOGO_SVG });
    expect((body.manifest['brand'] as Record<string, unknown>)['logo']).toBe('assets/logo.svg');
  });

  it("shows the gateway's 413 detail", async () => {
    fakeGateway({ answer: (call) => (call.method === 'PUT' ? problem(413, { title: 'Content Too Large', detail: 'The request body is larger than the limit of 1048576 bytes.' }) : undefined) });
    renderTemplates();
    await openEditor();
    fireEvent.change(screen.getByLabelText('Trocar o logotipo'), { target: { files: [new File([new Uint8Array(64)], 'big.png', { type: 'image/png' })] } });
    await screen.findByText(/Novo logotipo: big\.png/);
    fireEvent.click(screen.getByRole('button', { name: 'Salvar' }));
    const alert = await screen.findByText(/The request body is larger than the limit of 1048576 bytes\./);
    expect(alert.textContent).toBe('O modelo é grande demais para um envio. (The request body is larger than the limit of 1048576 bytes.) Use um logotipo menor.');
  });
});

describe('deleting a template', () => {
  it('asks first; cancelling changes nothing; confirming deletes with If-Match and says so', async () => {
    const { calls } = fakeGateway({ initial: [template('default'), template('acme', { version: 2, current_version: 2 })] });
    renderTemplates();
    await openEditor('default');
    expect(screen.queryByRole('button', { name: 'Excluir' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Editar: acme' }));
    const remove = await screen.findByRole('button', { name: 'Excluir' });
    fireEvent.click(remove);
    const question = screen.getByRole('group', { name: /Excluir o modelo “acme”\?/ });
    await waitFor(() => expect(document.activeElement).toBe(within(question).getByRole('button', { name: 'Cancelar' })));
    fireEvent.click(within(question).getByRole('button', { name: 'Cancelar' }));
    expect(screen.queryByRole('group', { name: /Excluir o modelo/ })).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Excluir' })));
    expect(calls.some((call) => call.method === 'DELETE')).toBe(false);

    fireEvent.click(screen.getByRole('button', { name: 'Excluir' }));
    fireEvent.click(within(screen.getByRole('group', { name: /Excluir o modelo “acme”\?/ })).getByRole('button', { name: 'Excluir modelo' }));
    const notice = await screen.findByText('Modelo “acme” excluído.');
    await waitFor(() => expect(document.activeElement).toBe(notice.closest('.alert')));
    const deletes = calls.filter((call) => call.method === 'DELETE');
    expect(deletes.map((call) => [call.url, call.headers['If-Match']])).toEqual([['http://gateway.test/api/templates/acme', '"2"']]);
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Editar: acme' })).toBeNull());
    expect(screen.queryByRole('heading', { name: /^acme/ })).toBeNull();
  });

  it("shows the gateway's 409 and 412 details", async () => {
    let answer = problem(409, { title: 'Conflict', detail: 'The default template cannot be deleted; change it with PUT instead.' });
    fakeGateway({ initial: [template('default'), template('acme')], answer: (call) => (call.method === 'DELETE' ? answer : undefined) });
    renderTemplates();
    fireEvent.click(await screen.findByRole('button', { name: 'Editar: acme' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Excluir' }));
    fireEvent.click(screen.getByRole('button', { name: 'Excluir modelo' }));
    expect((await screen.findByRole('alert')).textContent).toBe('O gateway recusou a exclusão: The default template cannot be deleted; change it with PUT instead.');

    answer = problem(412, { title: 'Precondition Failed', detail: "The template 'acme' is at version 4, not 3: it changed since you read it." });
    fireEvent.click(screen.getByRole('button', { name: 'Excluir' }));
    fireEvent.click(screen.getByRole('button', { name: 'Excluir modelo' }));
    expect(await screen.findByText('Outra pessoa alterou este modelo')).toBeTruthy();
    expect(screen.getByText(/is at version 4, not 3/)).toBeTruthy();
  });
});

describe('a save the gateway refuses', () => {
  it('412: says someone else changed it, and reloading shows their version', async () => {
    const { templates } = fakeGateway({
      answer: (call) => (call.method === 'PUT' ? problem(412, { title: 'Precondition Failed', detail: "The template 'default' is at version 4, not 3: it changed since you read it." }) : undefined),
    });
    renderTemplates();
    await openEditor();
    fireEvent.change(screen.getByLabelText('Nome da empresa'), { target: { value: 'Minha versão' } });
    templates.set('default', template('default', { version: 4, current_version: 4, manifest: { ...template('default').manifest, brand: { ...(template('default').manifest['brand'] as object), company_name: 'Versão de outra pessoa' } } }));
    fireEvent.click(screen.getByRole('button', { name: 'Salvar' }));
    const stale = (await screen.findByText('Outra pessoa alterou este modelo')).closest('.alert') as HTMLElement;
    await waitFor(() => expect(document.activeElement).toBe(stale));
    expect(stale.getAttribute('role')).toBe('status');
    expect(within(stale).getByText(/desde que você o abriu na versão 3/)).toBeTruthy();
    fireEvent.click(within(stale).getByRole('button', { name: 'Recarregar o modelo' }));
    await waitFor(() => expect((screen.getByLabelText('Nome da empresa') as HTMLInputElement).value).toBe('Versão de outra pessoa'));
    expect(screen.getByRole('heading', { name: /versão 4/, level: 2 })).toBeTruthy();
    expect(screen.queryByText('Outra pessoa alterou este modelo')).toBeNull();
  });

  it('422: lists each problem (file, line, column, message) and marks the file and the manifest field', async () => {
    fakeGateway({
      answer: (call) =>
        call.method === 'PUT'
          ? problem(422, {
              title: 'Invalid template',
              detail: "template 'default' is invalid",
              errors: [
                { file: 'template.html', line: 12, column: 5, message: "Expected an expression, got 'end of statement block'" },
                { file: 'assets/logo.svg', line: null, column: null, message: 'is not UTF-8 text (byte 3)' },
                { field: 'manifest.pricing.currency', message: "String should match pattern '^[A-Z]{3}$'" },
              ],
            })
          : undefined,
    });
    renderTemplates();
    await openEditor();
    fireEvent.click(screen.getByRole('button', { name: 'Salvar' }));
    const box = (await screen.findByText('O gateway recusou o modelo')).closest('.alert') as HTMLElement;
    await waitFor(() => expect(document.activeElement).toBe(box));
    expect(box.getAttribute('role')).toBe('alert');
    expect(within(box).getAllByRole('listitem').map((item) => item.textContent)).toEqual([
      "template.html (linha 12, coluna 5): Expected an expression, got 'end of statement block'",
      'assets/logo.svg: is not UTF-8 text (byte 3)',
      "manifest.pricing.currency: String should match pattern '^[A-Z]{3}$'",
    ]);
    const html = screen.getByLabelText('template.html');
    expect(html.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(html.getAttribute('aria-describedby') ?? '')?.textContent).toBe("linha 12, coluna 5: Expected an expression, got 'end of statement block'");
    expect(screen.getByLabelText('Moeda').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText("String should match pattern '^[A-Z]{3}$'").id).toBe('template-currency-error');
    expect(screen.getByLabelText('Trocar o logotipo').getAttribute('aria-invalid')).toBe('true');
  });
});

describe('someone who is not an administrator', () => {
  it('gets the read-only view: no new template, no brand fields, no history, no delete', async () => {
    const { calls } = fakeGateway({ initial: [template('default'), template('acme')], principal: SELLER });
    renderTemplates({ token: 'seller-token' });
    fireEvent.click(await screen.findByRole('button', { name: 'Ver: acme' }));
    expect(((await screen.findByLabelText('template.html')) as HTMLTextAreaElement).readOnly).toBe(true);
    expect(screen.queryByRole('button', { name: 'Novo modelo' })).toBeNull();
    expect(screen.queryByLabelText('Nome da empresa')).toBeNull();
    expect(screen.queryByRole('region', { name: 'Histórico' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Excluir' })).toBeNull();
    expect(calls.every((call) => call.method === 'GET')).toBe(true);
  });
});
