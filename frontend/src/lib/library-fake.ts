/**
 * For tests: `fetch` stubbed with the fake library gateway (e2e/library-gateway.mjs), which answers as the real
 * gateway's /api/library routes do (shapes checked against docs/openapi.json, the same status codes and
 * problem+json), keeps what is written, and records the calls it got.
 */
import { vi } from 'vitest';
import { CASE_STUDY_ID, INACTIVE_PERSON_ID, libraryGateway, PERSON_ID, PROPOSAL_ID, ROLE_ID, SEARCH_FULL_TEXT, SERVICE_ID } from '../../e2e/library-gateway.mjs';
import type { LibraryDocument, SearchResponse } from './library';
import type { Principal } from './types';

export { CASE_STUDY_ID, INACTIVE_PERSON_ID, PERSON_ID, PROPOSAL_ID, ROLE_ID, SEARCH_FULL_TEXT, SERVICE_ID };
export const DOCUMENT_ID = '6f1c0c1e-2b1a-4c55-9d0e-7a1f00000030';

/** A document as the gateway answers it, for rendering tests. */
export function libraryDocument(overrides: Partial<LibraryDocument> = {}): LibraryDocument {
  return {
    id: DOCUMENT_ID,
    title: 'proposta-acme',
    filename: 'proposta-acme.pdf',
    media_type: 'application/pdf',
    sha256: 'ab'.repeat(32),
    size_bytes: 48213,
    category: 'past_proposal',
    language: 'pt-BR',
    person_id: null,
    proposal_id: null,
    proposal_version: null,
    status: 'uploaded',
    pages_total: null,
    pages_done: 0,
    passage_count: 0,
    ocr_pages: 0,
    failure_code: null,
    failure_reason: null,
    owner: 'admin',
    review_by: null,
    uploaded_by: 'admin',
    created_at: '2026-12-01T10:00:00Z',
    updated_at: '2026-12-01T10:00:00Z',
    indexed_at: null,
    ...overrides,
  };
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } });
export const problem = (status: number, detail: string, extra: Record<string, unknown> = {}) => json({ type: 'about:blank', title: 'Problem', status, detail, ...extra }, status);

export interface Call {
  method: string;
  path: string;
  search: string;
  body: unknown;
  headers: Record<string, string>;
}

type Override = (call: Call) => Response | undefined | Promise<Response | undefined>;

async function formOf(body: FormData) {
  const fields: Record<string, string> = {};
  let file: { name: string; bytes: Uint8Array } | undefined;
  for (const [key, value] of body.entries()) {
    if (typeof value === 'string') fields[key] = value;
    else if (key === 'file') file = { name: value.name, bytes: new Uint8Array(await blobBytes(value)) };
  }
  return { file, fields };
}

/** A Blob's bytes (jsdom's Blob has no arrayBuffer()). */
function blobBytes(blob: Blob): Promise<ArrayBuffer> {
  if (typeof blob.arrayBuffer === 'function') return blob.arrayBuffer();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as ArrayBuffer);
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(blob);
  });
}

/**
 * Stubs `fetch` with the fake. `documentStates` is what successive GETs of a document on its way answer (the last
 * repeats); `override` may answer a call first (a 413, a 503).
 */
export function fakeLibrary({
  principal = { name: 'admin', admin: true },
  documentStates = [],
  search = SEARCH_FULL_TEXT,
  company = false,
  override,
}: { principal?: Principal; documentStates?: Array<Partial<LibraryDocument>>; search?: SearchResponse; company?: boolean; override?: Override } = {}) {
  const gateway = libraryGateway({ principal, documentStates, search, company });
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    const parsed = new URL(url);
    const method = init?.method ?? 'GET';
    const body = init?.body instanceof FormData ? init.body : init?.body ? JSON.parse(String(init.body)) : undefined;
    const call: Call = { method, path: parsed.pathname, search: parsed.search, body, headers: (init?.headers ?? {}) as Record<string, string> };
    calls.push(call);
    if (parsed.pathname === '/api/me') return json(principal);
    const answered = await override?.(call);
    if (answered) return answered;
    const answer = gateway.handle({
      method,
      path: parsed.pathname,
      query: parsed.searchParams,
      json: body instanceof FormData ? undefined : body,
      form: body instanceof FormData ? await formOf(body) : undefined,
    });
    return answer.status === 204 ? new Response(null, { status: 204 }) : json(answer.body, answer.status);
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, store: gateway.state, fetchMock };
}
