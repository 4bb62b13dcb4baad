import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError } from './api';
import { isIndexing, LibraryApi, snippetParts } from './library';
import { fakeLibrary, PERSON_ID, PROPOSAL_ID, ROLE_ID } from './library-fake';

afterEach(() => vi.unstubAllGlobals());

function library() {
  return new LibraryApi(new ApiClient({ baseUrl: 'http://gw:8000', token: 'tok-123' }));
}

describe('LibraryApi', () => {
  it('pages lists with limit and after, and sends the bearer token', async () => {
    const { calls } = fakeLibrary();
    const first = await library().list('people', { limit: 1 });
    expect(first.items.map((item) => item.name)).toHaveLength(1);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await library().list('people', { limit: 1, after: first.next_cursor });
    expect(second.next_cursor).toBeNull();
    expect([...first.items, ...second.items].map((item) => item.name).sort()).toEqual(['Ana Souza', 'Bruno Lima']);
    const call = calls.at(-1)!;
    expect([call.method, call.path, call.search]).toEqual(['GET', '/api/library/people', `?limit=1&after=${encodeURIComponent(first.next_cursor!)}`]);
    expect(call.headers['Authorization']).toBe('Bearer tok-123');
    await expect(library().list('people', { after: 'not-a-cursor' })).rejects.toMatchObject({ kind: 'invalid', status: 422 });
  });

  it('creates, updates and deletes entries with JSON bodies at the gateway paths and status codes', async () => {
    const { calls } = fakeLibrary();
    const api = library();
    const input = { name: 'Nova', description: '', deliverables: [], typical_duration_weeks: null, industries: [], technologies: [], language: 'pt-BR' as const, owner: null, review_by: null };
    const created = await api.create('services', input);
    expect(created).toMatchObject({ name: 'Nova', owner: 'admin', import_key: null });
    await api.update('services', created.id, { ...input, name: 'Nova 2' });
    await api.remove('services', created.id);
    expect(calls.map((call) => `${call.method} ${call.path}`)).toEqual(['POST /api/library/services', `PUT /api/library/services/${created.id}`, `DELETE /api/library/services/${created.id}`]);
    expect(calls[0]!.body).toEqual(input);
    expect(calls[0]!.headers['Content-Type']).toBe('application/json');
    await expect(api.remove('services', created.id)).rejects.toMatchObject({ kind: 'not_found', status: 404 });
  });

  it('is refused, as by the gateway, a body with a field the API does not have', async () => {
    fakeLibrary();
    const body = { name: 'X', id: 'not-a-field', role_name: 'not either' } as never;
    await expect(library().create('people', body)).rejects.toMatchObject({ kind: 'invalid', status: 422, problem: { errors: [expect.objectContaining({ field: 'id', type: 'extra_forbidden' }), expect.objectContaining({ field: 'role_name' })] } });
  });

  it('filters people by `active` through the API', async () => {
    const { calls } = fakeLibrary();
    const page = await library().list('people', { active: false });
    expect(page.items.map((item) => item.name)).toEqual(['Bruno Lima']);
    expect(calls.at(-1)!.search).toBe('?active=false');
  });

  it('reads a role list with current and next rates, and a role with its history latest first', async () => {
    fakeLibrary();
    const api = library();
    await api.addRate(ROLE_ID, { hourly_rate: '400.00', currency: 'BRL', valid_from: '2099-01-01' });
    const [listed] = (await api.list('roles')).items;
    expect(listed).not.toHaveProperty('rates');
    expect([listed!.current_rate?.hourly_rate, listed!.next_rate?.hourly_rate, listed!.next_rate?.valid_from]).toEqual(['350.00', '400.00', '2099-01-01']);
    const detail = await api.get('roles', ROLE_ID);
    expect(detail.rates.map((rate) => rate.valid_from)).toEqual(['2099-01-01', '2026-01-01', '2025-01-01']);
  });

  it('adds a rate with the amount as an exact decimal string: 201 new, 200 the same again, 409 a different one', async () => {
    const { calls } = fakeLibrary();
    const api = library();
    const added = await api.addRate(ROLE_ID, { hourly_rate: '1234.50', currency: 'BRL', valid_from: '2027-01-01' });
    expect(calls.at(-1)).toMatchObject({ method: 'POST', path: `/api/library/roles/${ROLE_ID}/rates`, body: { hourly_rate: '1234.50', currency: 'BRL', valid_from: '2027-01-01' } });
    expect(added).toMatchObject({ created: true, rate: { hourly_rate: '1234.50', currency: 'BRL', valid_from: '2027-01-01', created_by: 'admin' } });
    expect((await api.addRate(ROLE_ID, { hourly_rate: '1234.50', currency: 'BRL', valid_from: '2027-01-01' })).created).toBe(false);
    await expect(api.addRate(ROLE_ID, { hourly_rate: '99.00', currency: 'BRL', valid_from: '2027-01-01' })).rejects.toMatchObject({ kind: 'conflict', status: 409 });
  });

  it('refuses a rate from a token that is not an admin with a forbidden error', async () => {
    fakeLibrary({ principal: { name: 'token:Vendas', admin: false } });
    await expect(library().addRate(ROLE_ID, { hourly_rate: '1.00', currency: 'BRL', valid_from: '2027-01-01' })).rejects.toMatchObject({ kind: 'forbidden', status: 403 });
  });

  it('uploads a document as multipart form data, letting the browser write the Content-Type; the same content again is a 200', async () => {
    const { calls } = fakeLibrary();
    const file = new File(['# Proposta'], 'proposta.md', { type: 'text/markdown' });
    const first = await library().uploadDocument({ file, filename: file.name, category: 'cv', language: 'pt-BR', person_id: PERSON_ID, owner: ' ', review_by: '2027-02-01' });
    expect(first).toMatchObject({ created: true, document: { status: 'uploaded', title: 'proposta', media_type: 'text/markdown', person_id: PERSON_ID, owner: 'admin', review_by: '2027-02-01' } });
    const call = calls.at(-1)!;
    expect(call.body).toBeInstanceOf(FormData);
    const form = call.body as FormData;
    expect((form.get('file') as File).name).toBe('proposta.md');
    expect([form.get('category'), form.get('language'), form.get('title'), form.get('person_id'), form.get('owner')]).toEqual(['cv', 'pt-BR', null, PERSON_ID, null]);
    expect(call.headers['Content-Type']).toBeUndefined();
    const again = await library().uploadDocument({ file, filename: 'copia.md', title: 'Outra' });
    expect(again).toMatchObject({ created: false, document: { id: first.document.id, title: 'proposta' } });
  });

  it('adds a proposal version to the library: 201, then 200 with the same document', async () => {
    fakeLibrary();
    const first = await library().addProposal({ proposal_id: PROPOSAL_ID, version: 1 });
    expect(first).toMatchObject({ created: true, document: { title: 'Padaria Pão Quente (v1)', category: 'past_proposal', proposal_id: PROPOSAL_ID, proposal_version: 1 } });
    expect(await library().addProposal({ proposal_id: PROPOSAL_ID, version: 1 })).toMatchObject({ created: false, document: { id: first.document.id } });
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
