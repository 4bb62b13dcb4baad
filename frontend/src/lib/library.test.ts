import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError } from './api';
import { isIndexing, LibraryApi, snippetParts } from './library';
import { fakeLibrary, ROLE_ID } from './library-fake';

afterEach(() => vi.unstubAllGlobals());

function library() {
  return new LibraryApi(new ApiClient({ baseUrl: 'http://gw:8000', token: 'tok-123' }));
}

describe('LibraryApi', () => {
  it('pages lists with limit and after, and sends the bearer token', async () => {
    const { calls } = fakeLibrary();
    const page = await library().list('people', { limit: 50, after: 'cursor==' });
    expect(page.items.map((item) => item.name)).toEqual(['Ana Souza', 'Bruno Lima']);
    expect(page.next_after).toBeNull();
    const call = calls.at(-1)!;
    expect([call.method, call.path, call.search]).toEqual(['GET', '/api/library/people', '?limit=50&after=cursor%3D%3D']);
    expect(call.headers['Authorization']).toBe('Bearer tok-123');
  });

  it('creates, updates and deletes entries with JSON bodies at the contract paths', async () => {
    const { calls } = fakeLibrary();
    const api = library();
    const input = { name: 'Nova', description: '', deliverables: [], typical_duration_weeks: null, industries: [], technologies: [], language: 'pt-BR' as const, owner: 'admin', review_by: null };
    await api.create('services', input);
    await api.update('case-studies', 'c/1', { ...input } as never);
    await api.remove('people', 'p-1');
    expect(calls.map((call) => `${call.method} ${call.path}`)).toEqual(['POST /api/library/services', 'PUT /api/library/case-studies/c%2F1', 'DELETE /api/library/people/p-1']);
    expect(calls[0]!.body).toEqual(input);
    expect(calls[0]!.headers['Content-Type']).toBe('application/json');
  });

  it('adds a rate with the amount as an exact decimal string', async () => {
    const { calls } = fakeLibrary();
    const role = await library().addRate(ROLE_ID, { hourly_rate: '1234.50', currency: 'BRL', valid_from: '2027-01-01' });
    expect(calls.at(-1)).toMatchObject({ method: 'POST', path: `/api/library/roles/${ROLE_ID}/rates`, body: { hourly_rate: '1234.50', currency: 'BRL', valid_from: '2027-01-01' } });
    expect(role.current_rate).toEqual({ hourly_rate: '1234.50', currency: 'BRL', valid_from: '2027-01-01' });
  });

  it('refuses a rate from a token that is not an admin with a forbidden error', async () => {
    fakeLibrary({ principal: { name: 'token:Vendas', admin: false } });
    await expect(library().addRate(ROLE_ID, { hourly_rate: '1.00', currency: 'BRL', valid_from: '2027-01-01' })).rejects.toMatchObject({ kind: 'forbidden', status: 403 });
  });

  it('uploads a document as multipart form data, letting the browser write the Content-Type', async () => {
    const { calls } = fakeLibrary();
    const file = new File(['# Proposta'], 'proposta.md', { type: 'text/markdown' });
    const created = await library().uploadDocument({ file, filename: file.name, category: 'past_proposal', language: 'pt-BR' });
    expect(created.status).toBe('uploaded');
    const call = calls.at(-1)!;
    expect(call.body).toBeInstanceOf(FormData);
    const form = call.body as FormData;
    expect((form.get('file') as File).name).toBe('proposta.md');
    expect([form.get('category'), form.get('language'), form.get('title'), form.get('person_id')]).toEqual(['past_proposal', 'pt-BR', null, null]);
    expect(call.headers['Content-Type']).toBeUndefined();
  });

  it('searches with only the filters given', async () => {
    const { calls } = fakeLibrary();
    const response = await library().search({ q: 'migração nuvem', kind: 'case_study', industry: '', technology: 'AWS', language: undefined, limit: 20 });
    expect(calls.at(-1)!.search).toBe('?q=migra%C3%A7%C3%A3o+nuvem&kind=case_study&technology=AWS&limit=20');
    expect(response.mode).toBe('full_text');
  });

  it('reads a missing company profile as a not-found error', async () => {
    fakeLibrary();
    const error = await library().getCompany('en').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).kind).toBe('not_found');
  });
});

describe('snippetParts', () => {
  it('cuts the snippet at the highlight ranges', () => {
    expect(snippetParts('A migração do ERP', [[2, 10]])).toEqual([
      { text: 'A ', marked: false },
      { text: 'migração', marked: true },
      { text: ' do ERP', marked: false },
    ]);
  });

  it('sorts, merges and clips ranges it cannot trust', () => {
    expect(snippetParts('abcdefgh', [[6, 99], [1, 3], [2, 4], [5, 5], [-3, 0]])).toEqual([
      { text: 'a', marked: false },
      { text: 'bcd', marked: true },
      { text: 'ef', marked: false },
      { text: 'gh', marked: true },
    ]);
  });

  it('counts characters as Python does (code points), not UTF-16 units', () => {
    // "🚀" is one character for the gateway and two UTF-16 units for JavaScript.
    expect(snippetParts('🚀 migração', [[2, 10]])).toEqual([
      { text: '🚀 ', marked: false },
      { text: 'migração', marked: true },
    ]);
  });

  it('keeps markup in a snippet as text', () => {
    expect(snippetParts('<b>x</b>', [])).toEqual([{ text: '<b>x</b>', marked: false }]);
  });
});

describe('isIndexing', () => {
  it('is true until a document is indexed or failed', () => {
    expect((['uploaded', 'indexing', 'indexed', 'failed'] as const).map((status) => isIndexing({ status }))).toEqual([true, true, false, false]);
  });
});
