// Types of library-gateway.mjs for the vitest fake (src/lib/library-fake.ts).
import type { Principal } from '../src/lib/types';
import type { CaseStudy, LibraryDocument, Person, Role, SearchResponse, Service } from '../src/lib/library';

export const ROLE_ID: string;
export const PERSON_ID: string;
export const INACTIVE_PERSON_ID: string;
export const SERVICE_ID: string;
export const CASE_STUDY_ID: string;
export const PROPOSAL_ID: string;
export const SEARCH_FULL_TEXT: SearchResponse;
export function todayUtc(): string;

export interface StoredRole extends Omit<Role, 'current_rate' | 'next_rate'> {
  rates: Array<NonNullable<Role['current_rate']>>;
}
export interface LibraryState {
  roles: StoredRole[];
  people: Array<Omit<Person, 'role_name'>>;
  services: Service[];
  'case-studies': Array<Omit<CaseStudy, 'title'>>;
  documents: LibraryDocument[];
  company: Record<string, unknown>;
  proposals: Record<string, { client_name: string; language: string; versions: Array<{ version: number; sections: number; pdf: boolean }> }>;
}
export interface LibraryRequest {
  method: string;
  path: string;
  query?: URLSearchParams;
  json?: unknown;
  form?: { file?: { name: string; bytes: Uint8Array }; fields: Record<string, string> };
}
export interface LibraryAnswer {
  status: number;
  body?: unknown;
}
export function libraryGateway(options?: {
  principal?: Principal;
  documentStates?: Array<Partial<LibraryDocument>>;
  search?: SearchResponse;
  company?: boolean;
  maxUploadBytes?: number;
}): { state: LibraryState; handle: (request: LibraryRequest) => LibraryAnswer };
