/**
 * The knowledge library's API (`/api/library/...`, issue #14): company profile, services, rate card, people, case
 * studies, documents, search and stale entries.
 *
 * Written by hand from the contract in the library brief, because docs/openapi.json does not describe these routes
 * yet. Every type here is named after the gateway's response model it stands for: once the routes are in the
 * OpenAPI document, replace each with `Schemas['...']` from ./api-schema (as ./types does) and `npm run lint` shows
 * what drifted.
 */
import type { ApiClient } from './api';

/** An exact decimal as the API writes it ("350.00"): format it, never do arithmetic on it as a float. */
export type LibraryDecimal = string;
/** A calendar date, "2026-01-01". */
export type IsoDate = string;
export type LibraryLanguage = 'pt-BR' | 'en';
export const LIBRARY_LANGUAGES: readonly LibraryLanguage[] = ['pt-BR', 'en'];

/** Who keeps an entry current, and when it must be reviewed again (past: it is listed as stale). */
export interface Reviewed {
  owner: string;
  review_by: IsoDate | null;
}

/** Fields the gateway adds to every stored entry. */
export interface Stored {
  id: string;
  created_at?: string;
  updated_at?: string;
}

/** `GET/PUT /api/library/company/{language}`: the company profile in one language. */
export interface CompanyProfileInput extends Reviewed {
  description: string;
  positioning: string;
  certifications: string[];
  partnerships: string[];
  standard_terms: string;
}
export type CompanyProfile = CompanyProfileInput & Partial<Stored> & { language?: LibraryLanguage };

export interface ServiceInput extends Reviewed {
  name: string;
  description: string;
  deliverables: string[];
  typical_duration_weeks: number | null;
  industries: string[];
  technologies: string[];
  language: LibraryLanguage;
}
export type Service = ServiceInput & Stored;

/** One hourly rate of a role, valid from a date until the next one. */
export interface Rate {
  hourly_rate: LibraryDecimal;
  currency: string;
  valid_from: IsoDate;
}
export interface RateInput extends Rate {}

export interface RoleInput extends Reviewed {
  name: string;
  description: string;
}
export type Role = RoleInput &
  Stored & {
    current_rate: Rate | null;
    /** The rate history, on `GET /api/library/roles/{id}` only. */
    rates?: Rate[];
  };

export const SENIORITIES = ['junior', 'mid', 'senior', 'principal'] as const;
export type Seniority = (typeof SENIORITIES)[number];

export interface PersonInput extends Reviewed {
  name: string;
  role_id: string | null;
  seniority: Seniority;
  bio: string;
  skills: string[];
  certifications: string[];
  languages: string[];
  active: boolean;
  language: LibraryLanguage;
}
export type Person = PersonInput & Stored;

export interface CaseStudyInput extends Reviewed {
  client: string;
  anonymised: boolean;
  may_be_named: boolean;
  industry: string;
  problem: string;
  solution: string;
  results: string;
  year: number | null;
  technologies: string[];
  language: LibraryLanguage;
}
export type CaseStudy = CaseStudyInput & Stored;

export const DOCUMENT_CATEGORIES = ['past_proposal', 'rfp_answer', 'methodology', 'cv', 'other'] as const;
export type DocumentCategory = (typeof DOCUMENT_CATEGORIES)[number];
export type DocumentStatus = 'uploaded' | 'indexing' | 'indexed' | 'failed';
/** Why a document could not be indexed (shared/events.py LibraryFailureCode); the web app words it. */
export const FAILURE_CODES = ['unsupported_type', 'encrypted', 'malformed', 'no_text', 'too_many_pages', 'too_large', 'timed_out', 'out_of_memory', 'file_missing'] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

export interface LibraryDocument extends Stored, Reviewed {
  title: string;
  filename?: string;
  media_type?: string;
  size_bytes?: number;
  category: DocumentCategory;
  language: LibraryLanguage | null;
  person_id: string | null;
  status: DocumentStatus;
  pages_total: number | null;
  pages_done: number;
  passage_count: number;
  ocr_pages: number;
  failure_code: FailureCode | string | null;
  /** The service's own wording, in English: shown only for a code this app does not know. */
  failure_reason: string | null;
}

export interface DocumentUpload {
  file: Blob;
  filename: string;
  title?: string;
  category?: DocumentCategory;
  language?: LibraryLanguage;
  person_id?: string;
  owner?: string;
  review_by?: IsoDate;
}

export const SEARCH_KINDS = ['company', 'service', 'person', 'case_study', ...DOCUMENT_CATEGORIES] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];
export type SearchModeReason = 'no_embedding_model' | 'no_vector_extension' | 'reembedding' | 'embedding_unavailable';

export interface SearchSource {
  kind: SearchKind | string;
  entry_id: string | null;
  document_id: string | null;
  title: string;
  heading_path: string[];
  page: number | null;
}

export interface SearchResult {
  passage_id: string;
  score: number;
  snippet: string;
  /** [start, end) ranges of the snippet to highlight, in characters (Unicode code points, as Python counts). */
  highlights: Array<[number, number]>;
  source: SearchSource;
}

export interface SearchResponse {
  mode: 'hybrid' | 'full_text';
  mode_reason: SearchModeReason | null;
  embedding_model: string | null;
  results: SearchResult[];
}

export interface SearchQuery {
  q: string;
  kind?: string;
  industry?: string;
  technology?: string;
  language?: string;
  limit?: number;
}

export type StaleKind = 'company' | 'service' | 'person' | 'case_study' | 'role' | 'document';
export interface StaleEntry {
  kind: StaleKind;
  id: string;
  title: string;
  owner: string;
  review_by: IsoDate;
}

/**
 * One page of a list (`limit` + `after`, like GET /api/proposals): `next_after` is the cursor to pass as `after` for
 * the next page, null on the last one.
 */
export interface LibraryPage<T> {
  items: T[];
  next_after: string | null;
}

/** The collections that share one CRUD shape. */
export type EntryCollection = 'services' | 'people' | 'case-studies' | 'roles';
interface CollectionTypes {
  services: [Service, ServiceInput];
  people: [Person, PersonInput];
  'case-studies': [CaseStudy, CaseStudyInput];
  roles: [Role, RoleInput];
}
export type EntryOf<C extends EntryCollection> = CollectionTypes[C][0];
export type InputOf<C extends EntryCollection> = CollectionTypes[C][1];

const BASE = '/api/library';
const id = (value: string) => encodeURIComponent(value);

function query(values: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The library's calls over the app's ApiClient (same token, same problem+json errors). */
export class LibraryApi {
  constructor(private readonly api: ApiClient) {}

  getCompany(language: LibraryLanguage): Promise<CompanyProfile> {
    return this.api.json(`${BASE}/company/${id(language)}`);
  }

  saveCompany(language: LibraryLanguage, profile: CompanyProfileInput): Promise<CompanyProfile> {
    return this.api.json(`${BASE}/company/${id(language)}`, { method: 'PUT', body: JSON.stringify(profile) });
  }

  list<C extends EntryCollection>(collection: C, page: { limit?: number; after?: string | null } = {}): Promise<LibraryPage<EntryOf<C>>> {
    return this.api.json(`${BASE}/${collection}${query({ limit: page.limit, after: page.after })}`);
  }

  get<C extends EntryCollection>(collection: C, entryId: string): Promise<EntryOf<C>> {
    return this.api.json(`${BASE}/${collection}/${id(entryId)}`);
  }

  create<C extends EntryCollection>(collection: C, input: InputOf<C>): Promise<EntryOf<C>> {
    return this.api.json(`${BASE}/${collection}`, { method: 'POST', body: JSON.stringify(input) });
  }

  update<C extends EntryCollection>(collection: C, entryId: string, input: InputOf<C>): Promise<EntryOf<C>> {
    return this.api.json(`${BASE}/${collection}/${id(entryId)}`, { method: 'PUT', body: JSON.stringify(input) });
  }

  async remove(collection: EntryCollection | 'documents', entryId: string): Promise<void> {
    await this.api.raw(`${BASE}/${collection}/${id(entryId)}`, { method: 'DELETE' });
  }

  /** A new rate for a role (admins; 403 otherwise); the answer is the role with its history. */
  addRate(roleId: string, rate: RateInput): Promise<Role> {
    return this.api.json(`${BASE}/roles/${id(roleId)}/rates`, { method: 'POST', body: JSON.stringify(rate) });
  }

  listDocuments(page: { limit?: number; after?: string | null } = {}): Promise<LibraryPage<LibraryDocument>> {
    return this.api.json(`${BASE}/documents${query({ limit: page.limit, after: page.after })}`);
  }

  getDocument(documentId: string): Promise<LibraryDocument> {
    return this.api.json(`${BASE}/documents/${id(documentId)}`);
  }

  /** Upload a file (multipart/form-data; the browser writes the boundary, so no Content-Type header here). */
  uploadDocument(upload: DocumentUpload): Promise<LibraryDocument> {
    const form = new FormData();
    form.append('file', upload.file, upload.filename);
    for (const key of ['title', 'category', 'language', 'person_id', 'owner', 'review_by'] as const) {
      const value = upload[key];
      if (value) form.append(key, value);
    }
    return this.api.json(`${BASE}/documents`, { method: 'POST', body: form });
  }

  search(search: SearchQuery): Promise<SearchResponse> {
    return this.api.json(`${BASE}/search${query({ ...search })}`);
  }

  stale(): Promise<{ items: StaleEntry[] }> {
    return this.api.json(`${BASE}/stale`);
  }
}

/** A piece of a snippet: plain text, or text a highlight range covers. */
export interface SnippetPart {
  text: string;
  marked: boolean;
}

/**
 * The snippet cut at its highlight ranges, for rendering as text and <mark> elements (never as HTML). Ranges count
 * Unicode code points, as the gateway's Python does; out-of-order, overlapping or out-of-bounds ranges are sorted,
 * merged and clipped rather than trusted.
 */
export function snippetParts(snippet: string, highlights: ReadonlyArray<readonly [number, number]>): SnippetPart[] {
  const characters = Array.from(snippet);
  const length = characters.length;
  const ranges = highlights
    .map(([start, end]) => [Math.max(0, Math.min(start, length)), Math.max(0, Math.min(end, length))] as const)
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [start, end] of ranges) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  const parts: SnippetPart[] = [];
  let position = 0;
  for (const [start, end] of merged) {
    if (start > position) parts.push({ text: characters.slice(position, start).join(''), marked: false });
    parts.push({ text: characters.slice(start, end).join(''), marked: true });
    position = end;
  }
  if (position < length) parts.push({ text: characters.slice(position).join(''), marked: false });
  return parts;
}

/** Whether a document is still on its way to `indexed` or `failed` (its page polls it meanwhile). */
export function isIndexing(document: Pick<LibraryDocument, 'status'>): boolean {
  return document.status === 'uploaded' || document.status === 'indexing';
}

/** Today's date in the browser, "YYYY-MM-DD", for comparing with `review_by`. */
export function today(now: Date = new Date()): IsoDate {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}
