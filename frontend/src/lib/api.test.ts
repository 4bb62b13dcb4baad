import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError, exportSuffix } from './api';

function client(response: Response | Error, onUnauthorized?: () => void) {
  const fetchImpl = vi.fn(async () => {
    if (response instanceof Error) throw response;
    return response;
  });
  return { api: new ApiClient({ baseUrl: 'http://gw:8000/', token: 'tok-123', onUnauthorized, fetchImpl: fetchImpl as unknown as typeof fetch }), fetchImpl };
}

const problem = (status: number, body: object) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/problem+json' } });

describe('ApiClient', () => {
  it('sends the bearer token and builds the list query without empty filters', async () => {
    const { api, fetchImpl } = client(new Response(JSON.stringify({ items: [], total: 0, page: 2, page_size: 20 })));
    await api.listProposals({ q: 'Padaria', status: '', industry: undefined, page: 2 });
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('http://gw:8000/api/proposals?q=Padaria&page=2');
    expect((init.headers as Record<string, string>)['Authorization']).toBe('Bearer tok-123');
  });

  it('turns a 422 problem into field errors', async () => {
    const { api } = client(problem(422, { title: 'Unprocessable Entity', status: 422, detail: 'invalid', errors: [{ field: 'client_name', message: 'too long' }, { field: 'body.template', message: 'bad pattern' }] }));
    const error = await api.createProposal({ client_name: 'x', industry: 'y', requirements: 'z' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).kind).toBe('invalid');
    expect((error as ApiError).fieldErrors()).toEqual({ client_name: 'too long', template: 'bad pattern' });
  });

  it('asks who the token is, and refuses an answer that is not {name, admin}', async () => {
    const { api, fetchImpl } = client(new Response(JSON.stringify({ name: 'token:Ana', admin: false, extra: 1 })));
    await expect(api.me()).resolves.toEqual({ name: 'token:Ana', admin: false });
    expect((fetchImpl.mock.calls[0] as unknown as [string])[0]).toBe('http://gw:8000/api/me');
    await expect(client(new Response(JSON.stringify({ items: [] }))).api.me()).rejects.toMatchObject({ kind: 'server' });
  });

  it('calls onUnauthorized on a 401 (session over)', async () => {
    const onUnauthorized = vi.fn();
    const { api } = client(problem(401, { title: 'Unauthorized', status: 401 }), onUnauthorized);
    await expect(api.getProposal('p')).rejects.toMatchObject({ kind: 'unauthorized', status: 401 });
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it('reports a gateway that cannot be reached as a network error', async () => {
    const { api } = client(new TypeError('Failed to fetch'));
    await expect(api.health()).rejects.toMatchObject({ kind: 'network', status: 0 });
  });

  it('maps 409 while a version is being produced to conflict', async () => {
    const { api } = client(problem(409, { title: 'Conflict', status: 409, detail: 'version 2 is still being produced' }));
    await expect(api.editSection('p', 'scope', 'text')).rejects.toMatchObject({ kind: 'conflict', message: 'version 2 is still being produced' });
  });

  it('reads readiness from a 503 problem with checks', async () => {
    const { api } = client(problem(503, { title: 'Service Unavailable', status: 503, checks: { postgres: 'ok', redis: 'down' } }));
    await expect(api.ready()).resolves.toEqual({ status: 'unavailable', checks: { postgres: 'ok', redis: 'down' } });
  });

  it('encodes ids and keys in paths, and versions in PDF paths', () => {
    const { api } = client(new Response('{}'));
    expect(api.pdfPath('a/b', 2)).toBe('/api/proposals/a%2Fb/pdf?version=2');
    expect(api.eventsUrl('abc')).toBe('http://gw:8000/api/proposals/abc/events');
  });

  it('asks for the archival PDF/A as format=pdf with its variant, and names the files as the gateway does', () => {
    const { api } = client(new Response('{}'));
    expect(api.exportPath('a/b', 'docx')).toBe('/api/proposals/a%2Fb/export?format=docx');
    expect(api.exportPath('abc', 'pdfa')).toBe('/api/proposals/abc/export?format=pdf&variant=pdf%2Fa-3b');
    expect(exportSuffix('pdfa')).toBe('-pdfa.pdf');
    expect(exportSuffix('md')).toBe('.md');
  });

  it('keeps a non-JSON error body as the detail', async () => {
    const { api } = client(new Response('Bad gateway', { status: 502, statusText: 'Bad Gateway' }));
    await expect(api.health()).rejects.toMatchObject({ kind: 'server', status: 502, message: 'Bad gateway' });
  });

  it('lists tokens (revoked ones on request), creates one with a JSON body and revokes one with DELETE', async () => {
    const { api, fetchImpl } = client(new Response(JSON.stringify({ items: [] })));
    await api.listTokens(true);
    expect((fetchImpl.mock.calls[0] as unknown as [string])[0]).toBe('http://gw:8000/api/tokens?include_revoked=true');
    const created = client(new Response(JSON.stringify({ id: 't', token: 'p4l_x' }), { status: 201 }));
    await expect(created.api.createToken({ name: 'CI', admin: false, expires_in_days: null })).resolves.toMatchObject({ token: 'p4l_x' });
    const [, init] = created.fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(init.method).toBe('POST');
    expect(JSON.parse(String(init.body))).toEqual({ name: 'CI', admin: false, expires_in_days: null });
    const revoked = client(new Response(null, { status: 204 }));
    await revoked.api.revokeToken('a/b');
    const [url, revokeInit] = revoked.fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect([url, revokeInit.method]).toEqual(['http://gw:8000/api/tokens/a%2Fb', 'DELETE']);
  });

  it('maps a 403 on the tokens API to forbidden, keeping its detail', async () => {
    const { api } = client(problem(403, { title: 'Forbidden', status: 403, detail: 'Only administrators may manage API tokens.' }));
    await expect(api.listTokens()).rejects.toMatchObject({ kind: 'forbidden', status: 403, message: 'Only administrators may manage API tokens.' });
  });

  it('sends a template change with If-Match the version it was made from, and maps 412 to precondition', async () => {
    const { api, fetchImpl } = client(problem(412, { title: 'Precondition Failed', status: 412, detail: "The template 'acme' is at version 4, not 3." }));
    await expect(api.saveTemplate('acme', { manifest: {}, files: { 'template.html': { text: 'x' } } }, 3)).rejects.toMatchObject({ kind: 'precondition', status: 412 });
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect([url, init.method, (init.headers as Record<string, string>)['If-Match']]).toEqual(['http://gw:8000/api/templates/acme', 'PUT', '"3"']);
    expect(fetchImpl).toHaveBeenCalledTimes(1);
  });

  it('creates a template with If-Match "0": it must not exist yet', async () => {
    const { api, fetchImpl } = client(new Response(JSON.stringify({ name: 'acme', version: 1 }), { status: 201 }));
    await expect(api.saveTemplate('acme', { manifest: {}, files: {} }, 0)).resolves.toMatchObject({ version: 1 });
    const [, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect([init.method, (init.headers as Record<string, string>)['If-Match']]).toEqual(['PUT', '"0"']);
  });

  it('reports a gateway that is down as a network error when a template change fails', async () => {
    const { api, fetchImpl } = client(new TypeError('Failed to fetch'));
    await expect(api.deleteTemplate('acme', 2)).rejects.toMatchObject({ kind: 'network' });
    expect(fetchImpl).toHaveBeenCalledTimes(1);
  });
});
