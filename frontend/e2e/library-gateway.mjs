// A fake of the gateway's /api/library routes for the web app's tests (vitest: src/lib/library-fake.ts; the browser
// tests: e2e/library-fake.mjs). It answers as services/gateway/src/propos4l/gateway/routes/library_*.py do: the same
// status codes (201/200 for a new or known entry, 204, 404, 403 for non-admins on the rate card, 409, 413, 415, 422 with
// field errors), every request body checked against docs/openapi.json as pydantic would, and every answer checked
// against the response model (scripts/openapi-check.mjs): the fake cannot be kinder, or looser, than the real API.
import { createHash } from 'node:crypto';
import { assertSchema, checkSchema } from '../scripts/openapi-check.mjs';

const uuid = (n) => `6f1c0c1e-2b1a-4c55-9d0e-7a1f${String(n).padStart(8, '0')}`;
export const ROLE_ID = uuid(1);
export const PERSON_ID = uuid(2);
export const INACTIVE_PERSON_ID = uuid(5);
export const SERVICE_ID = uuid(3);
export const CASE_STUDY_ID = uuid(4);
export const PROPOSAL_ID = uuid(40);
const STAMP = '2026-01-10T12:00:00Z';
const ANONYMOUS_CLIENT = { 'pt-BR': 'cliente anonimizado', en: 'anonymised client' };
const COMPANY_TITLE = { 'pt-BR': 'Perfil da empresa', en: 'Company profile' };
const MARKDOWN_LINE = /^(#{1,6}\s|\s*[-*+]\s|\s*\d+\.\s|```|>\s)/m;

/** Today as the gateway's clock says, "YYYY-MM-DD" (UTC). */
export const todayUtc = () => new Date().toISOString().slice(0, 10);

const cursorOf = (offset) => Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
function offsetOf(cursor) {
  try {
    const offset = JSON.parse(Buffer.from(cursor, 'base64url').toString()).o;
    return Number.isInteger(offset) && offset >= 0 ? offset : null;
  } catch {
    return null;
  }
}

/** The two-decimal string the gateway writes an amount as ("1234.5" -> "1234.50"). */
function amount(value) {
  const [whole, cents = ''] = String(value).split('.');
  return `${whole}.${cents.padEnd(2, '0').slice(0, 2)}`;
}

export function initialLibrary({ company = false } = {}) {
  const rate = (n, hourly_rate, valid_from) => ({ id: uuid(n), hourly_rate, currency: 'BRL', valid_from, created_by: 'admin', created_at: STAMP });
  const stamps = { import_key: null, created_at: STAMP, updated_at: STAMP };
  return {
    roles: [
      { id: ROLE_ID, name: 'Arquiteto de soluções sênior', description: 'Desenha a solução e responde pela arquitetura.', owner: 'admin', review_by: '2027-06-30', ...stamps, rates: [rate(10, '350.00', '2026-01-01'), rate(11, '320.00', '2025-01-01')] },
    ],
    people: [
      { id: PERSON_ID, name: 'Ana Souza', role_id: ROLE_ID, seniority: 'senior', bio: 'Quinze anos em integrações de varejo.', skills: ['Kafka', 'Python'], certifications: ['AWS Solutions Architect'], languages: ['pt-BR', 'en'], active: true, language: 'pt-BR', owner: 'token:Ops', review_by: '2026-03-01', ...stamps },
      { id: INACTIVE_PERSON_ID, name: 'Bruno Lima', role_id: null, seniority: null, bio: '', skills: [], certifications: [], languages: [], active: false, language: 'pt-BR', owner: 'admin', review_by: null, ...stamps },
    ],
    services: [
      { id: SERVICE_ID, name: 'Migração para a nuvem', description: 'Levamos sistemas legados para a AWS.', deliverables: ['Plano de migração'], typical_duration_weeks: 12, industries: ['Varejo'], technologies: ['AWS'], language: 'pt-BR', owner: 'admin', review_by: null, ...stamps },
    ],
    'case-studies': [
      { id: CASE_STUDY_ID, client: 'Rede de farmácias', anonymised: true, may_be_named: false, industry: 'Saúde', problem: 'Estoque desencontrado entre lojas.', solution: 'Integração de estoque em tempo real.', results: 'Ruptura 30% menor.', year: 2025, technologies: ['Kafka'], language: 'pt-BR', owner: 'admin', review_by: '2026-01-15', ...stamps },
    ],
    documents: [],
    company: company
      ? { 'pt-BR': { id: uuid(6), language: 'pt-BR', description: 'Consultoria de integração e nuvem.', positioning: 'Projetos de integração com prazo fixo.', certifications: ['ISO 27001'], partnerships: ['AWS Advanced Partner'], standard_terms: 'Pagamento em 30 dias.', owner: 'admin', review_by: '2027-01-01', ...stamps } }
      : {},
    proposals: {
      [PROPOSAL_ID]: { client_name: 'Padaria Pão Quente', language: 'pt-BR', versions: [{ version: 1, sections: 10, pdf: true }] },
    },
  };
}

export const SEARCH_FULL_TEXT = {
  mode: 'full_text',
  mode_reason: 'no_embedding_model',
  embedding_model: null,
  results: [
    {
      passage_id: uuid(20),
      score: 0.0325,
      snippet: 'A migração do ERP para a nuvem levou <b>doze</b> semanas 🚀 sem parar as lojas.',
      highlights: [
        [2, 10],
        [25, 30],
      ],
      source: { kind: 'past_proposal', entry_id: null, document_id: uuid(21), title: 'Proposta Acme 2025', heading_path: ['Escopo', 'Fase 1'], page: 3 },
    },
    {
      passage_id: uuid(22),
      score: 0.0161,
      snippet: 'Migração de estoque para a nuvem em doze semanas.',
      highlights: [[0, 8]],
      source: { kind: 'case_study', entry_id: CASE_STUDY_ID, document_id: null, title: 'cliente anonimizado · Saúde (2025)', heading_path: [], page: null },
    },
  ],
};

/**
 * A fake library gateway. `handle` takes a request ({ method, path, query: URLSearchParams, json, form }), where `form`
 * is a multipart body as { file: { name, bytes } | undefined, fields: { name: value } }, and returns { status, body }
 * (body undefined for 204). `documentStates` is what successive GETs of a document on its way answer (the last
 * repeats); `search` what every search answers.
 */
export function libraryGateway({ principal = { name: 'admin', admin: true }, documentStates = [], search = SEARCH_FULL_TEXT, company = false, maxUploadBytes = 25 * 1024 * 1024 } = {}) {
  const state = initialLibrary({ company });
  let next = 100;
  const polls = new Map();
  const today = todayUtc();
  const newId = () => uuid(next++);
  const now = () => new Date().toISOString();

  const ok = (schema, body, status = 200) => ({ status, body: assertSchema(schema, body) });
  const problem = (status, detail, extra = {}) => ({ status, body: { type: 'about:blank', title: STATUS_TITLES[status] ?? 'Problem', status, detail, ...extra } });
  const invalid = (errors) => problem(422, `The request is invalid: ${errors.slice(0, 5).map((error) => `${error.field} ${error.message}`).join('; ')}.`, { errors });
  const forbidden = () => problem(403, 'Only administrators may change the rate card (roles and rates).');

  function page(items, query, maxLimit, defaultLimit) {
    const errors = [];
    const limit = query.has('limit') ? Number(query.get('limit')) : defaultLimit;
    if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) errors.push({ field: 'query.limit', message: `Input should be less than or equal to ${maxLimit}`, type: 'less_than_equal' });
    const after = query.get('after');
    const offset = after === null ? 0 : offsetOf(after);
    if (errors.length) return { error: invalid(errors) };
    if (offset === null) return { error: problem(422, 'The cursor is not one this API gave.') };
    const slice = items.slice(offset, offset + limit);
    return { items: slice, next_cursor: offset + limit < items.length ? cursorOf(offset + limit) : null };
  }

  const ratesOf = (role) => [...role.rates].sort((a, b) => (a.valid_from < b.valid_from ? 1 : -1));
  function roleView(role, detail = false) {
    const rates = ratesOf(role);
    const current = rates.find((rate) => rate.valid_from <= today) ?? null;
    const upcoming = [...rates].reverse().find((rate) => rate.valid_from > today) ?? null;
    const { rates: _, ...fields } = role;
    return { ...fields, current_rate: current, next_rate: upcoming, ...(detail ? { rates } : {}) };
  }
  const personView = (person) => ({ ...person, role_name: state.roles.find((role) => role.id === person.role_id)?.name ?? null });
  const clientLabel = (study) => (study.may_be_named && !study.anonymised && study.client ? study.client : ANONYMOUS_CLIENT[study.language]);
  const caseStudyView = (study) => ({ ...study, title: `${clientLabel(study)} · ${study.industry}${study.year ? ` (${study.year})` : ''}`.slice(0, 300) });
  const VIEWS = {
    services: ['ServiceView', 'ServiceList', 'ServiceBody', (item) => item, 'service'],
    people: ['PersonView', 'PersonList', 'PersonBody', personView, 'person'],
    'case-studies': ['CaseStudyView', 'CaseStudyList', 'CaseStudyBody', caseStudyView, 'case study'],
  };

  /** The body with the gateway's defaults filled in (pydantic's), for storing. */
  function withDefaults(schema, body) {
    const defaults = {
      ServiceBody: { description: '', deliverables: [], typical_duration_weeks: null, industries: [], technologies: [], language: 'pt-BR' },
      PersonBody: { role_id: null, seniority: null, bio: '', skills: [], certifications: [], languages: [], active: true, language: 'pt-BR' },
      CaseStudyBody: { client: '', anonymised: false, may_be_named: false, problem: '', solution: '', results: '', year: null, technologies: [], language: 'pt-BR' },
      CompanyBody: { description: '', positioning: '', certifications: [], partnerships: [], standard_terms: '' },
      RoleBody: { description: '' },
    }[schema];
    const { owner, review_by, import_key, ...rest } = body;
    return { ...defaults, ...rest, review_by: review_by ?? null, import_key: import_key ?? null, ownerGiven: owner ?? null };
  }

  function stale() {
    const items = [];
    const add = (kind, item, title) => item.review_by && item.review_by < today && items.push({ kind, id: item.id, title, owner: item.owner, review_by: item.review_by });
    for (const profile of Object.values(state.company)) add('company', profile, COMPANY_TITLE[profile.language]);
    for (const item of state.services) add('service', item, item.name);
    for (const item of state.people) add('person', item, item.name);
    for (const item of state['case-studies']) add('case_study', item, caseStudyView(item).title);
    for (const item of state.roles) add('role', item, item.name);
    for (const item of state.documents) add('document', item, item.title);
    return items.sort((a, b) => (a.review_by < b.review_by ? -1 : a.review_by > b.review_by ? 1 : 0));
  }

  function passagesOf(document) {
    return Array.from({ length: document.passage_count }, (_, index) => ({
      id: uuid(100_000 + next + index),
      ordinal: index,
      language: document.language ?? 'pt-BR',
      title: document.title,
      heading_path: index === 0 ? [] : ['Escopo', `Fase ${index}`],
      page: document.pages_total ? Math.min(document.pages_total, index + 1) : null,
      body: index === 0 ? `${document.title}: resumo da proposta.` : `A fase ${index} entrega a migração do ERP para a nuvem.`,
    }));
  }

  function addDocument(fields, bytes) {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const known = state.documents.find((item) => item.sha256 === sha256 && (fields.proposal_id ? item.proposal_id === fields.proposal_id && item.proposal_version === fields.proposal_version : true));
    if (known) return ok('DocumentView', known, 200);
    const stamp = now();
    const document = {
      id: newId(),
      sha256,
      size_bytes: bytes.length,
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
      review_by: null,
      uploaded_by: principal.name,
      created_at: stamp,
      updated_at: stamp,
      indexed_at: null,
      ...fields,
    };
    state.documents.unshift(document);
    return ok('DocumentView', document, 201);
  }

  function sniff(bytes) {
    const head = Buffer.from(bytes.subarray(0, 8192));
    if ([[0x7f, 0x45, 0x4c, 0x46], [0x4d, 0x5a], [0x23, 0x21]].some((magic) => magic.every((byte, index) => head[index] === byte))) return null;
    if (head.subarray(0, 1024).includes('%PDF-')) return 'application/pdf';
    if (head.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) return Buffer.from(bytes).includes('word/document.xml') ? 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' : null;
    if (head.includes(0)) return null;
    const text = head.toString('utf8');
    if (text.includes('\ufffd')) return null;
    if (/^\s*<(!doctype html|html|head|body)/i.test(text.replace(/^\ufeff/, ''))) return 'text/html';
    if (MARKDOWN_LINE.test(text)) return 'text/markdown';
    return text.trim() ? 'text/plain' : null;
  }

  function upload(form) {
    if (!form?.file) return invalid([{ field: 'file', message: 'is required', type: 'missing' }]);
    const fields = { ...form.fields };
    for (const key of ['title', 'owner']) if (typeof fields[key] === 'string') fields[key] = fields[key].trim();
    const errors = checkSchema('Body_upload_document_api_library_documents_post', { file: 'bytes', ...fields });
    if (errors.length) return invalid(errors);
    if (form.file.bytes.length > maxUploadBytes) return problem(413, `The library takes files up to ${maxUploadBytes / 1024 / 1024} MB; the file is larger.`);
    const mediaType = sniff(form.file.bytes);
    if (!mediaType) return problem(415, `The library cannot read '${form.file.name}': its content is not one of application/pdf, application/vnd.openxmlformats-officedocument.wordprocessingml.document, text/html, text/markdown, text/plain (the type is told from the content, not the name).`);
    if (fields.person_id && !state.people.some((person) => person.id === fields.person_id)) return problem(422, `There is no person with id ${fields.person_id} in the library.`);
    const filename = form.file.name.split(/[\\/]/).pop().slice(0, 300) || 'document';
    return addDocument(
      {
        title: fields.title || filename.replace(/\.[^.]*$/, '') || filename,
        filename,
        media_type: mediaType,
        category: fields.category ?? 'other',
        language: fields.language ?? null,
        person_id: fields.person_id ?? null,
        owner: fields.owner || principal.name,
        review_by: fields.review_by ?? null,
      },
      form.file.bytes,
    );
  }

  function fromProposal(body) {
    const errors = checkSchema('FromProposal', body);
    if (errors.length) return invalid(errors);
    const proposal = state.proposals[body.proposal_id];
    if (!proposal) return problem(404, `There is no proposal with id ${body.proposal_id}.`);
    const version = body.version ? proposal.versions.find((item) => item.version === body.version) : ([...proposal.versions].reverse().find((item) => item.pdf) ?? proposal.versions.at(-1));
    if (!version) return problem(404, `Proposal ${body.proposal_id} has no version ${body.version}.`);
    if (!version.sections) return problem(409, `Version ${version.version} of this proposal has no drafted sections yet.`);
    const title = `${proposal.client_name} (v${version.version})`;
    return addDocument(
      { title, filename: `proposal-${body.proposal_id}-v${version.version}.md`, media_type: 'text/markdown', category: 'past_proposal', language: proposal.language, owner: principal.name, proposal_id: body.proposal_id, proposal_version: version.version },
      Buffer.from(`# ${title}\n\n${body.proposal_id} v${version.version}\n`),
    );
  }

  function documents(method, id, sub, query, request) {
    if (method === 'POST' && id === 'from-proposal') return fromProposal(request.json);
    if (method === 'POST' && !id) return upload(request.form);
    if (method === 'GET' && !id) {
      const result = page(state.documents, query, 100, 20);
      return result.error ?? ok('DocumentList', result);
    }
    const document = state.documents.find((item) => item.id === id);
    if (!document) return problem(404, `There is no library document with id ${id}.`);
    if (method === 'GET' && sub === 'passages') {
      const after = query.get('after');
      if (after !== null && !/^[0-9]{1,9}$/.test(after)) return invalid([{ field: 'query.after', message: "String should match pattern '^[0-9]{1,9}$'", type: 'string_pattern_mismatch' }]);
      const limit = Number(query.get('limit') ?? 50);
      const all = document.status === 'indexed' ? passagesOf(document) : [];
      const start = after === null ? 0 : Number(after) + 1;
      const items = all.filter((passage) => passage.ordinal >= start).slice(0, limit);
      const last = items.at(-1);
      return ok('PassageList', { items, next_cursor: last && last.ordinal < all.length - 1 ? String(last.ordinal) : null });
    }
    if (method === 'GET') {
      if (document.status === 'uploaded' || document.status === 'indexing') {
        const seen = polls.get(document.id) ?? 0;
        polls.set(document.id, seen + 1);
        const change = documentStates[Math.min(seen, documentStates.length - 1)];
        if (change) Object.assign(document, change, { updated_at: now() }, change.status === 'indexed' ? { indexed_at: now(), language: document.language ?? 'pt-BR' } : {});
      }
      return ok('DocumentView', document);
    }
    if (method === 'DELETE') {
      state.documents = state.documents.filter((item) => item !== document);
      return { status: 204 };
    }
    return problem(405, 'Method Not Allowed');
  }

  function roles(method, id, sub, query, body) {
    if (method === 'GET' && !id) {
      const sorted = [...state.roles].sort((a, b) => a.name.localeCompare(b.name));
      const result = page(sorted.map((role) => roleView(role)), query, 200, 100);
      return result.error ?? ok('RoleList', result);
    }
    if (method !== 'GET' && !principal.admin) return forbidden();
    const role = id && state.roles.find((item) => item.id === id);
    const nameTaken = (name, except) => state.roles.some((item) => item !== except && item.name.toLowerCase() === name.toLowerCase());
    if (method === 'POST' && !id) {
      const errors = checkSchema('RoleBody', body);
      if (errors.length) return invalid(errors);
      if (nameTaken(body.name)) return problem(409, `A role is named ${body.name} already.`);
      const { ownerGiven, ...fields } = withDefaults('RoleBody', body);
      const created = { id: newId(), ...fields, owner: ownerGiven ?? principal.name, created_at: now(), updated_at: now(), rates: [] };
      state.roles.push(created);
      return ok('RoleDetail', roleView(created, true), 201);
    }
    if (!role) return problem(404, `There is no role with id ${id}.`);
    if (sub === 'rates' && method === 'POST') {
      const errors = checkSchema('RateBody', body);
      if (errors.length) return invalid(errors);
      const rate = { hourly_rate: amount(body.hourly_rate), currency: body.currency ?? 'BRL', valid_from: body.valid_from };
      const same = role.rates.find((item) => item.valid_from === rate.valid_from);
      if (same && (same.hourly_rate !== rate.hourly_rate || same.currency !== rate.currency)) return problem(409, `A different rate of this role from ${rate.valid_from} exists.`);
      if (same) return ok('RateView', same, 200);
      const added = { id: newId(), ...rate, created_by: principal.name, created_at: now() };
      role.rates.push(added);
      return ok('RateView', added, 201);
    }
    if (method === 'GET') return ok('RoleDetail', roleView(role, true));
    if (method === 'PUT') {
      const errors = checkSchema('RoleBody', body);
      if (errors.length) return invalid(errors);
      if (nameTaken(body.name, role)) return problem(409, `A role is named ${body.name} already.`);
      const { ownerGiven, ...fields } = withDefaults('RoleBody', body);
      Object.assign(role, fields, { owner: ownerGiven ?? role.owner, updated_at: now() });
      return ok('RoleDetail', roleView(role, true));
    }
    if (method === 'DELETE') {
      const holders = state.people.filter((person) => person.role_id === role.id);
      if (holders.length) return problem(409, `People still have this role: ${holders.map((person) => person.name).join(', ')}.`);
      state.roles = state.roles.filter((item) => item !== role);
      return { status: 204 };
    }
    return problem(405, 'Method Not Allowed');
  }

  function entries(collection, method, id, query, body) {
    const [view, list, bodySchema, toView, noun] = VIEWS[collection];
    const items = state[collection];
    if (method === 'GET' && !id) {
      let shown = [...items].sort((a, b) => (a.updated_at < b.updated_at ? 1 : a.updated_at > b.updated_at ? -1 : 0));
      const errors = [];
      for (const [key, filter] of [
        ['active', (item, value) => String(item.active) === value],
        ['role_id', (item, value) => item.role_id === value],
        ['language', (item, value) => item.language === value],
        ['industry', (item, value) => (item.industries ?? [item.industry]).some((tag) => tag.toLowerCase() === value.toLowerCase())],
        ['technology', (item, value) => item.technologies.some((tag) => tag.toLowerCase() === value.toLowerCase())],
      ]) {
        const value = query.get(key);
        if (value === null) continue;
        if (key === 'active' && !['true', 'false'].includes(value)) errors.push({ field: 'query.active', message: 'Input should be a valid boolean', type: 'bool_parsing' });
        else if (key === 'language' && !['pt-BR', 'en'].includes(value)) errors.push({ field: 'query.language', message: "Input should be 'pt-BR' or 'en'", type: 'literal_error' });
        else shown = shown.filter((item) => filter(item, value));
      }
      if (errors.length) return invalid(errors);
      const result = page(shown.map(toView), query, 200, 50);
      return result.error ?? ok(list, result);
    }
    if (method === 'POST' && !id) {
      const errors = checkSchema(bodySchema, body);
      if (errors.length) return invalid(errors);
      if (body.role_id && !state.roles.some((role) => role.id === body.role_id)) return problem(422, `There is no role with id ${body.role_id} in the rate card.`);
      const { ownerGiven, ...fields } = withDefaults(bodySchema, body);
      const created = { id: newId(), ...fields, owner: ownerGiven ?? principal.name, created_at: now(), updated_at: now() };
      items.push(created);
      return ok(view, toView(created), 201);
    }
    const index = items.findIndex((item) => item.id === id);
    if (index < 0) return problem(404, `There is no ${noun} with id ${id}.`);
    if (method === 'GET') return ok(view, toView(items[index]));
    if (method === 'PUT') {
      const errors = checkSchema(bodySchema, body);
      if (errors.length) return invalid(errors);
      if (body.role_id && !state.roles.some((role) => role.id === body.role_id)) return problem(422, `There is no role with id ${body.role_id} in the rate card.`);
      const { ownerGiven, ...fields } = withDefaults(bodySchema, body);
      items[index] = { ...items[index], ...fields, owner: ownerGiven ?? items[index].owner, updated_at: now() };
      return ok(view, toView(items[index]));
    }
    if (method === 'DELETE') {
      items.splice(index, 1);
      if (collection === 'people') state.documents = state.documents.filter((document) => document.person_id !== id);
      return { status: 204 };
    }
    return problem(405, 'Method Not Allowed');
  }

  function company(method, language, body) {
    if (!['pt-BR', 'en'].includes(language)) return invalid([{ field: 'path.language', message: "Input should be 'pt-BR' or 'en'", type: 'literal_error' }]);
    const current = state.company[language];
    if (method === 'GET') return current ? ok('CompanyView', current) : problem(404, `There is no company profile in ${language} yet; PUT one.`);
    if (method !== 'PUT') return problem(405, 'Method Not Allowed');
    const errors = checkSchema('CompanyBody', body);
    if (errors.length) return invalid(errors);
    const { ownerGiven, import_key: _, ...fields } = withDefaults('CompanyBody', body);
    state.company[language] = { id: current?.id ?? newId(), language, ...fields, import_key: null, owner: ownerGiven ?? current?.owner ?? principal.name, created_at: current?.created_at ?? now(), updated_at: now() };
    return ok('CompanyView', state.company[language], current ? 200 : 201);
  }

  function searchRoute(query) {
    const q = query.get('q') ?? '';
    const errors = [];
    if (!q) errors.push({ field: 'query.q', message: 'is required', type: 'missing' });
    else if (q.length > 500) errors.push({ field: 'query.q', message: 'String should have at most 500 characters', type: 'string_too_long', limits: { max_length: 500 } });
    const limit = query.get('limit');
    if (limit !== null && !(Number(limit) >= 1 && Number(limit) <= 50)) errors.push({ field: 'query.limit', message: 'Input should be less than or equal to 50', type: 'less_than_equal' });
    const language = query.get('language');
    if (language !== null && !['pt-BR', 'en'].includes(language)) errors.push({ field: 'query.language', message: "Input should be 'pt-BR' or 'en'", type: 'literal_error' });
    if (errors.length) return invalid(errors);
    if (!/\w/u.test(q)) return problem(422, 'The query has no words to look for.');
    return ok('SearchResponse', search);
  }

  /** One request; see libraryGateway. */
  function handle({ method, path, query = new URLSearchParams(), json, form }) {
    if (!path.startsWith('/api/library/')) return problem(404, 'Not Found');
    const [collection, id, sub] = path.replace(/^\/api\/library\//, '').split('/').map(decodeURIComponent);
    const uuidLike = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (id && collection !== 'company' && id !== 'from-proposal' && !uuidLike.test(id)) {
      return invalid([{ field: `path.${collection === 'roles' ? 'role_id' : collection === 'documents' ? 'document_id' : 'entry_id'}`, message: 'Input should be a valid UUID', type: 'uuid_parsing' }]);
    }
    if (collection === 'search' && method === 'GET') return searchRoute(query);
    if (collection === 'stale' && method === 'GET') {
      const limit = Number(query.get('limit') ?? 200);
      return ok('StaleList', { items: stale().slice(0, limit) });
    }
    if (collection === 'company') return company(method, id, json);
    if (collection === 'documents') return documents(method, id, sub, query, { json, form });
    if (collection === 'roles') return roles(method, id, sub, query, json);
    if (collection in VIEWS && !sub) return entries(collection, method, id, query, json);
    return problem(404, 'Not Found');
  }

  return { state, handle };
}

const STATUS_TITLES = { 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content' };
