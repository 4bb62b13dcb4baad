/**
 * For tests: a fake gateway for /api/library that answers as the library brief's contract says (shapes, status
 * codes, problem+json), keeps what is written, and records the calls it got.
 */
import { vi } from 'vitest';
import type { CaseStudy, LibraryDocument, Person, Role, SearchResponse, Service, StaleEntry } from './library';
import type { Principal } from './types';

export const ROLE_ID = '0b7c1f3e-7d0e-4a3e-9c57-0e4a1c1f0001';
export const PERSON_ID = '0b7c1f3e-7d0e-4a3e-9c57-0e4a1c1f0002';
export const DOCUMENT_ID = '0b7c1f3e-7d0e-4a3e-9c57-0e4a1c1f0003';

export function role(overrides: Partial<Role> = {}): Role {
  return {
    id: ROLE_ID,
    name: 'Arquiteto de soluções sênior',
    description: 'Desenha a solução e responde pela arquitetura.',
    owner: 'admin',
    review_by: '2027-06-30',
    current_rate: { hourly_rate: '350.00', currency: 'BRL', valid_from: '2026-01-01' },
    rates: [
      { hourly_rate: '320.00', currency: 'BRL', valid_from: '2025-01-01' },
      { hourly_rate: '350.00', currency: 'BRL', valid_from: '2026-01-01' },
    ],
    ...overrides,
  };
}

export function person(overrides: Partial<Person> = {}): Person {
  return {
    id: PERSON_ID,
    name: 'Ana Souza',
    role_id: ROLE_ID,
    seniority: 'senior',
    bio: 'Quinze anos em integrações de varejo.',
    skills: ['Kafka', 'Python'],
    certifications: ['AWS Solutions Architect'],
    languages: ['pt-BR', 'en'],
    active: true,
    language: 'pt-BR',
    owner: 'admin',
    review_by: '2027-01-31',
    ...overrides,
  };
}

export function service(overrides: Partial<Service> = {}): Service {
  return {
    id: '0b7c1f3e-7d0e-4a3e-9c57-0e4a1c1f0004',
    name: 'Migração para a nuvem',
    description: 'Levamos sistemas legados para a AWS.',
    deliverables: ['Plano de migração'],
    typical_duration_weeks: 12,
    industries: ['Varejo'],
    technologies: ['AWS'],
    language: 'pt-BR',
    owner: 'admin',
    review_by: null,
    ...overrides,
  };
}

export function caseStudy(overrides: Partial<CaseStudy> = {}): CaseStudy {
  return {
    id: '0b7c1f3e-7d0e-4a3e-9c57-0e4a1c1f0005',
    client: 'Rede de farmácias',
    anonymised: true,
    may_be_named: false,
    industry: 'Saúde',
    problem: 'Estoque desencontrado entre lojas.',
    solution: 'Integração de estoque em tempo real.',
    results: 'Ruptura 30% menor.',
    year: 2025,
    technologies: ['Kafka'],
    language: 'pt-BR',
    owner: 'admin',
    review_by: '2026-01-15',
    ...overrides,
  };
}

export function libraryDocument(overrides: Partial<LibraryDocument> = {}): LibraryDocument {
  return {
    id: DOCUMENT_ID,
    title: 'proposta-acme.pdf',
    filename: 'proposta-acme.pdf',
    media_type: 'application/pdf',
    size_bytes: 48213,
    category: 'past_proposal',
    language: 'pt-BR',
    person_id: null,
    status: 'uploaded',
    pages_total: null,
    pages_done: 0,
    passage_count: 0,
    ocr_pages: 0,
    failure_code: null,
    failure_reason: null,
    owner: 'admin',
    review_by: null,
    ...overrides,
  };
}

export const SEARCH_FULL_TEXT: SearchResponse = {
  mode: 'full_text',
  mode_reason: 'no_embedding_model',
  embedding_model: null,
  results: [
    {
      passage_id: '0b7c1f3e-7d0e-4a3e-9c57-0e4a1c1f0010',
      score: 0.42,
      snippet: 'A migração do ERP para a nuvem levou <b>doze</b> semanas.',
      highlights: [
        [2, 10],
        [25, 30],
      ],
      source: { kind: 'past_proposal', entry_id: null, document_id: DOCUMENT_ID, title: 'Proposta Acme 2025', heading_path: ['Escopo', 'Fase 1'], page: 3 },
    },
  ],
};

export const STALE: StaleEntry[] = [
  { kind: 'case_study', id: '0b7c1f3e-7d0e-4a3e-9c57-0e4a1c1f0005', title: 'Rede de farmácias', owner: 'admin', review_by: '2026-01-15' },
  { kind: 'person', id: PERSON_ID, title: 'Ana Souza', owner: 'token:Ops', review_by: '2026-03-01' },
];

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

/**
 * Stubs `fetch` with the fake. `documentStates` is what successive GETs of an uploaded document answer (the last
 * repeats); `override` may answer a call first (a 422, a 403).
 */
export function fakeLibrary({
  principal = { name: 'admin', admin: true },
  documentStates = [],
  search = SEARCH_FULL_TEXT,
  override,
}: { principal?: Principal; documentStates?: Array<Partial<LibraryDocument>>; search?: SearchResponse; override?: Override } = {}) {
  const store = {
    roles: [role()] as Role[],
    people: [person(), person({ id: 'p-inactive', name: 'Bruno Lima', active: false })] as Person[],
    services: [service()] as Service[],
    'case-studies': [caseStudy()] as CaseStudy[],
    documents: [] as LibraryDocument[],
  };
  const calls: Call[] = [];
  let polls = 0;
  const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    const parsed = new URL(url);
    const method = init?.method ?? 'GET';
    const body = init?.body instanceof FormData ? init.body : init?.body ? JSON.parse(String(init.body)) : undefined;
    const call: Call = { method, path: parsed.pathname, search: parsed.search, body, headers: (init?.headers ?? {}) as Record<string, string> };
    calls.push(call);
    if (parsed.pathname === '/api/me') return json(principal);
    const answered = await override?.(call);
    if (answered) return answered;
    const parts = parsed.pathname.replace(/^\/api\/library\//, '').split('/');
    const [collection, id, sub] = parts as [string, string | undefined, string | undefined];
    if (collection === 'search') return json(search);
    if (collection === 'stale') return json({ items: STALE });
    if (collection === 'company') return method === 'PUT' ? json({ ...(body as object), language: id }) : problem(404, `no company profile in ${id}`);
    if (collection === 'documents') {
      if (method === 'POST' && !id) {
        const file = (body as FormData).get('file') as File;
        const created = libraryDocument({ title: String((body as FormData).get('title') ?? file.name), filename: file.name });
        store.documents.unshift(created);
        return json(created, 201);
      }
      if (method === 'GET' && id) {
        const state = documentStates[Math.min(polls, documentStates.length - 1)] ?? {};
        polls += 1;
        const current = store.documents.find((item) => item.id === id);
        if (!current) return problem(404, 'document not found');
        Object.assign(current, state);
        return json(current);
      }
      if (method === 'DELETE' && id) {
        store.documents = store.documents.filter((item) => item.id !== id);
        return new Response(null, { status: 204 });
      }
      return json({ items: store.documents, next_after: null });
    }
    if (collection in store) {
      const items = store[collection as keyof typeof store] as Array<{ id: string }>;
      if (sub === 'rates' && method === 'POST') {
        if (!principal.admin) return problem(403, 'changing the rate card needs an admin token');
        const target = store.roles.find((item) => item.id === id);
        if (!target) return problem(404, 'role not found');
        const rate = body as Role['current_rate'] & object;
        target.rates = [...(target.rates ?? []), rate];
        target.current_rate = rate;
        return json(target, 201);
      }
      if (method === 'GET' && !id) return json({ items, next_after: null });
      if (method === 'GET' && id) return items.find((item) => item.id === id) ? json(items.find((item) => item.id === id)) : problem(404, 'not found');
      if (method === 'POST') {
        const created = { ...(body as object), id: `new-${items.length + 1}`, ...(collection === 'roles' ? { current_rate: null } : {}) } as { id: string };
        items.push(created);
        return json(created, 201);
      }
      if (method === 'PUT' && id) {
        const index = items.findIndex((item) => item.id === id);
        items[index] = { ...items[index], ...(body as object), id };
        return json(items[index]);
      }
      if (method === 'DELETE' && id) {
        const index = items.findIndex((item) => item.id === id);
        if (index >= 0) items.splice(index, 1);
        return new Response(null, { status: 204 });
      }
    }
    return problem(404, `no route ${method} ${parsed.pathname}`);
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, store, fetchMock };
}
