/**
 * The knowledge library's API (`/api/library/...`, issue #14): company profile, services, rate card, people, case
 * studies, documents (and their passages), search and stale entries.
 *
 * Every shape is the gateway's, from ./api-schema (generated from docs/openapi.json): a change of the API breaks
 * `npm run lint` here instead of the app at run time.
 */
import type { ApiClient } from './api';
import type { components } from './api-schema';

type Schemas = components['schemas'];

/** An exact decimal as the API writes it ("350.00"): format it, never do arithmetic on it as a float. */
export type LibraryDecimal = string;
/** A calendar date, "2026-01-01". */
export type IsoDate = string;
export type LibraryLanguage = Schemas['CompanyView']['language'];
export const LIBRARY_LANGUAGES: readonly LibraryLanguage[] = ['pt-BR', 'en'];

/**
 * A request body as the web app sends it: openapi-typescript reads a default as "always present" (right for answers),
 * so the fields the gateway defaults are made optional again; `import_key` is for `propos4l library import` only.
 */
type Body<T, Defaulted extends keyof T = never> = Omit<T, Defaulted | ('import_key' extends keyof T ? 'import_key' : never)> & Partial<Pick<T, Defaulted>>;

/** `GET/PUT /api/library/company/{language}`: the company profile in one language (GET: 404 until it is written). */
export type CompanyProfile = Schemas['CompanyView'];
export type CompanyProfileInput = Body<Schemas['CompanyBody'], 'description' | 'positioning' | 'standard_terms'>;

export type Service = Schemas['ServiceView'];
export type ServiceInput = Body<Schemas['ServiceBody'], 'description' | 'language'>;

/** One hourly rate of a role, valid from a date (kept as history). */
export type Rate = Schemas['RateView'];
/** A new rate: the amount as the exact decimal string typed ("1234.50"). */
export type RateInput = Omit<Schemas['RateBody'], 'hourly_rate' | 'currency'> & { hourly_rate: LibraryDecimal; currency?: string };

/** A role in a list: the rate that applies today and the next one from a later date. */
export type Role = Schemas['RoleView'];
/** A role with its whole history (`GET /api/library/roles/{id}`, and what POST and PUT answer), latest first. */
export type RoleDetail = Schemas['RoleDetail'];
export type RoleInput = Body<Schemas['RoleBody'], 'description'>;

export type Seniority = NonNullable<Schemas['PersonView']['seniority']>;
export const SENIORITIES: readonly Seniority[] = ['junior', 'mid', 'senior', 'principal'];

/** A person, with `role_name` from the rate card. */
export type Person = Schemas['PersonView'];
export type PersonInput = Body<Schemas['PersonBody'], 'bio' | 'active' | 'language'>;

/** A case study; `title` is how lists and search show it (without the client's name unless it may be named). */
export type CaseStudy = Schemas['CaseStudyView'];
export type CaseStudyInput = Body<Schemas['CaseStudyBody'], 'client' | 'anonymised' | 'may_be_named' | 'problem' | 'solution' | 'results' | 'language'>;

export type DocumentCategory = Schemas['DocumentView']['category'];
export const DOCUMENT_CATEGORIES: readonly DocumentCategory[] = ['past_proposal', 'rfp_answer', 'methodology', 'cv', 'other'];
export type DocumentStatus = Schemas['DocumentView']['status'];
/** Why a document could not be indexed (shared/events.py LibraryFailureCode); the web app words it. */
export const FAILURE_CODES = ['unsupported_type', 'encrypted', 'malformed', 'no_text', 'too_many_pages', 'too_large', 'timed_out', 'out_of_memory', 'file_missing'] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

export type LibraryDocument = Schemas['DocumentView'];
/** A passage of an indexed document, in reading order. */
export type Passage = Schemas['PassageView'];

type UploadFields = Schemas['Body_upload_document_api_library_documents_post'];
/** `POST /api/library/documents` (multipart): the file and, optionally, what the gateway would otherwise guess. */
export interface DocumentUpload extends Partial<Record<Exclude<keyof UploadFields, 'file'>, string | null>> {
  file: Blob;
  filename: string;
  title?: UploadFields['title'];
  category?: DocumentCategory;
  language?: LibraryLanguage | null;
  person_id?: string | null;
  owner?: string | null;
  review_by?: IsoDate | null;
}

/**
 * What an upload (or adding a proposal) answered: the document, and whether it was new (201) or the same content
 * (the same proposal version) was already in the library (200, that document).
 */
export interface Accepted {
  document: LibraryDocument;
  created: boolean;
}

/** `POST /api/library/documents/from-proposal`. */
export type FromProposal = Schemas['FromProposal'];

export const SEARCH_KINDS = ['company', 'service', 'person', 'case_study', ...DOCUMENT_CATEGORIES] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];
export type SearchModeReason = NonNullable<Schemas['SearchResponse']['mode_reason']>;
export type SearchSource = Schemas['SearchSource'];
/** A passage found; `highlights` are [start, end) ranges of the snippet in characters (code points, as Python counts). */
export type SearchResult = Schemas['SearchResult'];
export type SearchResponse = Schemas['SearchResponse'];

export interface SearchQuery {
  q: string;
  kind?: string;
  industry?: string;
  technology?: string;
  language?: string;
  limit?: number;
}

export type StaleEntry = Schemas['StaleItem'];
export type StaleKind = StaleEntry['kind'];

/**
 * One page of a list (`limit` + `after`): `next_cursor` is the cursor to pass as `after` for the next page, null on
 * the last one.
 */
export interface LibraryPage<T> {
  items: T[];
  next_cursor: string | null;
}

/** The collections that share one CRUD shape: [list item, one entry (GET/POST/PUT answer), body, list filters]. */
export type EntryCollection = 'services' | 'people' | 'case-studies' | 'roles';
interface CollectionTypes {
  services: [Service, Service, ServiceInput, { industry?: string; technology?: string; language?: LibraryLanguage }];
  people: [Person, Person, PersonInput, { active?: boolean; role_id?: string; language?: LibraryLanguage }];
  'case-studies': [CaseStudy, CaseStudy, CaseStudyInput, { industry?: string; technology?: string; language?: LibraryLanguage }];
  roles: [Role, RoleDetail, RoleInput, Record<never, never>];
}
export type EntryOf<C extends EntryCollection> = CollectionTypes[C][0];
export type DetailOf<C extends EntryCollection> = CollectionTypes[C][1];
export type InputOf<C extends EntryCollection> = CollectionTypes[C][2];
export type FiltersOf<C extends EntryCollection> = CollectionTypes[C][3];

// The generated list shapes must stay what LibraryPage says, or this line stops the build.
type _Lists = [Schemas['ServiceList'], Schemas['PersonList'], Schemas['CaseStudyList'], Schemas['RoleList'], Schemas['DocumentList'], Schemas['PassageList']][number] extends LibraryPage<unknown> ? true : never;
export const LISTS_ARE_PAGES: _Lists = true;

const BASE = '/api/library';
const id = (value: string) => encodeURIComponent(value);

function query(values: Record<string, string | number | boolean | undefined | null>): string {
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

  /** The profile in `language`; a 404 (ApiError kind not_found) until someone writes it. */
  getCompany(language: LibraryLanguage): Promise<CompanyProfile> {
    return this.api.json(`${BASE}/company/${id(language)}`);
  }

  /** Write the profile whole (201 the first time, 200 after). */
  saveCompany(language: LibraryLanguage, profile: CompanyProfileInput): Promise<CompanyProfile> {
    return this.api.json(`${BASE}/company/${id(language)}`, { method: 'PUT', body: JSON.stringify(profile) });
  }

  list<C extends EntryCollection>(collection: C, page: { limit?: number; after?: string | null } & FiltersOf<C> = {}): Promise<LibraryPage<EntryOf<C>>> {
    return this.api.json(`${BASE}/${collection}${query(page)}`);
  }

  get<C extends EntryCollection>(collection: C, entryId: string): Promise<DetailOf<C>> {
    return this.api.json(`${BASE}/${collection}/${id(entryId)}`);
  }

  /** Add an entry (201); roles only with an admin token (403 otherwise). */
  create<C extends EntryCollection>(collection: C, input: InputOf<C>): Promise<DetailOf<C>> {
    return this.api.json(`${BASE}/${collection}`, { method: 'POST', body: JSON.stringify(input) });
  }

  update<C extends EntryCollection>(collection: C, entryId: string, input: InputOf<C>): Promise<DetailOf<C>> {
    return this.api.json(`${BASE}/${collection}/${id(entryId)}`, { method: 'PUT', body: JSON.stringify(input) });
  }

  /** 204; 404 when it is gone already; a role people still have: 409. */
  async remove(collection: EntryCollection | 'documents', entryId: string): Promise<void> {
    await this.api.raw(`${BASE}/${collection}/${id(entryId)}`, { method: 'DELETE' });
  }

  /**
   * A new rate for a role (admins; 403 otherwise): 201 with the rate, 200 when the same rate from that date exists,
   * 409 for a different one from that date. Ask for the role again to see its current and next rate.
   */
  async addRate(roleId: string, rate: RateInput): Promise<{ rate: Rate; created: boolean }> {
    const response = await this.api.raw(`${BASE}/roles/${id(roleId)}/rates`, { method: 'POST', body: JSON.stringify(rate) });
    return { rate: (await response.json()) as Rate, created: response.status === 201 };
  }

  listDocuments(page: { limit?: number; after?: string | null } = {}): Promise<LibraryPage<LibraryDocument>> {
    return this.api.json(`${BASE}/documents${query(page)}`);
  }

  getDocument(documentId: string): Promise<LibraryDocument> {
    return this.api.json(`${BASE}/documents/${id(documentId)}`);
  }

  /** A document's passages in reading order (none until it is indexed). */
  passages(documentId: string, page: { limit?: number; after?: string | null } = {}): Promise<LibraryPage<Passage>> {
    return this.api.json(`${BASE}/documents/${id(documentId)}/passages${query(page)}`);
  }

  /**
   * Upload a file (multipart/form-data; the browser writes the boundary, so no Content-Type header here): 201 a new
   * document, 200 the one already holding the same content; 413 too large, 415 not a type the library reads.
   */
  async uploadDocument(upload: DocumentUpload): Promise<Accepted> {
    const form = new FormData();
    form.append('file', upload.file, upload.filename);
    for (const key of ['title', 'category', 'language', 'person_id', 'owner', 'review_by'] as const) {
      const value = upload[key]?.trim();
      if (value) form.append(key, value);
    }
    return accepted(await this.api.raw(`${BASE}/documents`, { method: 'POST', body: form }));
  }

  /** Add a proposal version's sections as a past proposal: 201 new, 200 that version is in the library already. */
  async addProposal(request: FromProposal): Promise<Accepted> {
    return accepted(await this.api.raw(`${BASE}/documents/from-proposal`, { method: 'POST', body: JSON.stringify(request) }));
  }

  search(search: SearchQuery): Promise<SearchResponse> {
    return this.api.json(`${BASE}/search${query({ ...search })}`);
  }

  stale(limit?: number): Promise<Schemas['StaleList']> {
    return this.api.json(`${BASE}/stale${query({ limit })}`);
  }
}

async function accepted(response: Response): Promise<Accepted> {
  return { document: (await response.json()) as LibraryDocument, created: response.status === 201 };
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
