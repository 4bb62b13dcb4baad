// A fake gateway for the Library's browser tests, installed with Playwright's page.route: it answers /api/me and
// /api/library/... as the library brief's contract says (JSON shapes, status codes, problem+json), with CORS headers as
// the real gateway sends them to the web app's origin, keeps what is written and records the calls.
// The real routes are being built in parallel; once they exist, the same scenarios can run against `propos4l run`.

export const FAKE_GATEWAY = 'http://gateway.invalid:8000';
export const ROLE_ID = '6f1c0c1e-2b1a-4c55-9d0e-7a1f00000001';
const uuid = (n) => `6f1c0c1e-2b1a-4c55-9d0e-7a1f${String(n).padStart(8, '0')}`;

function initialState() {
  return {
    roles: [
      {
        id: ROLE_ID,
        name: 'Arquiteto de soluções sênior',
        description: 'Desenha a solução.',
        owner: 'admin',
        review_by: '2027-06-30',
        current_rate: { hourly_rate: '350.00', currency: 'BRL', valid_from: '2026-01-01' },
        rates: [
          { hourly_rate: '320.00', currency: 'BRL', valid_from: '2025-01-01' },
          { hourly_rate: '350.00', currency: 'BRL', valid_from: '2026-01-01' },
        ],
      },
    ],
    people: [
      { id: uuid(2), name: 'Ana Souza', role_id: ROLE_ID, seniority: 'senior', bio: 'Integrações de varejo.', skills: ['Kafka'], certifications: [], languages: ['pt-BR', 'en'], active: true, language: 'pt-BR', owner: 'admin', review_by: '2026-03-01' },
    ],
    services: [
      { id: uuid(3), name: 'Migração para a nuvem', description: 'Sistemas legados na AWS.', deliverables: ['Plano de migração'], typical_duration_weeks: 12, industries: ['Varejo'], technologies: ['AWS'], language: 'pt-BR', owner: 'admin', review_by: null },
    ],
    'case-studies': [
      { id: uuid(4), client: 'Rede de farmácias', anonymised: true, may_be_named: false, industry: 'Saúde', problem: 'Estoque desencontrado.', solution: 'Integração em tempo real.', results: 'Ruptura 30% menor.', year: 2025, technologies: ['Kafka'], language: 'pt-BR', owner: 'admin', review_by: '2026-01-15' },
    ],
    documents: [],
    company: {
      'pt-BR': { language: 'pt-BR', description: 'Consultoria de integração e nuvem.', positioning: 'Projetos de integração com prazo fixo.', certifications: ['ISO 27001'], partnerships: ['AWS Advanced Partner'], standard_terms: 'Pagamento em 30 dias.', owner: 'admin', review_by: '2027-01-01' },
    },
  };
}

/** What successive GETs of an uploaded document answer: indexing page by page, then indexed. */
const INDEXING = [
  { status: 'indexing', pages_total: 3, pages_done: 1 },
  { status: 'indexing', pages_total: 3, pages_done: 2 },
  { status: 'indexed', pages_total: 3, pages_done: 3, passage_count: 12, ocr_pages: 0 },
];

const SEARCH = {
  mode: 'full_text',
  mode_reason: 'no_embedding_model',
  embedding_model: null,
  results: [
    {
      passage_id: uuid(20),
      score: 0.61,
      snippet: 'A migração do ERP para a nuvem levou <b>doze</b> semanas 🚀 sem parar as lojas.',
      highlights: [
        [2, 10],
        [25, 30],
      ],
      source: { kind: 'past_proposal', entry_id: null, document_id: uuid(21), title: 'Proposta Acme 2025', heading_path: ['Escopo', 'Fase 1'], page: 3 },
    },
    {
      passage_id: uuid(22),
      score: 0.4,
      snippet: 'Migração de estoque para a nuvem em doze semanas.',
      highlights: [[0, 8]],
      source: { kind: 'case_study', entry_id: uuid(4), document_id: null, title: 'Rede de farmácias', heading_path: [], page: null },
    },
  ],
};

const STALE = [
  { kind: 'case_study', id: uuid(4), title: 'Rede de farmácias', owner: 'admin', review_by: '2026-01-15' },
  { kind: 'person', id: uuid(2), title: 'Ana Souza', owner: 'admin', review_by: '2026-03-01' },
];

/** Route every call to FAKE_GATEWAY on `page`; returns the recorded calls and the state. */
export async function installFakeGateway(page, { frontendOrigin, principal = { name: 'admin', admin: true } }) {
  const state = initialState();
  const calls = [];
  let polls = 0;
  let next = 100;
  const cors = {
    'Access-Control-Allow-Origin': frontendOrigin,
    'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-Match, Last-Event-ID',
    'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
    Vary: 'Origin',
  };
  const json = (route, body, status = 200) =>
    route.fulfill({ status, headers: { ...cors, 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' }, body: JSON.stringify(body) });
  const problem = (route, status, detail) => json(route, { type: 'about:blank', title: 'Problem', status, detail }, status);

  await page.route(`${FAKE_GATEWAY}/**`, async (route) => {
    const request = route.request();
    const url = new URL(request.url());
    const method = request.method();
    if (method === 'OPTIONS') return route.fulfill({ status: 204, headers: cors });
    calls.push({ method, path: url.pathname, search: url.search, body: request.postData(), headers: request.headers() });
    if (request.headers()['authorization'] !== 'Bearer e2e-library-token') return problem(route, 401, 'missing or unknown token');
    if (url.pathname === '/api/me') return json(route, principal);
    if (url.pathname === '/api/proposals') return json(route, { items: [], total: 0, total_exact: true, page: 1, page_size: 20, next_cursor: null });
    if (url.pathname === '/api/templates') return json(route, { items: [] });
    const [collection, id, sub] = url.pathname.replace(/^\/api\/library\//, '').split('/');
    const body = () => JSON.parse(request.postData() ?? 'null');
    if (collection === 'search') return json(route, SEARCH);
    if (collection === 'stale') return json(route, { items: STALE });
    if (collection === 'company') {
      if (method === 'PUT') {
        state.company[id] = { ...body(), language: id };
        return json(route, state.company[id]);
      }
      return state.company[id] ? json(route, state.company[id]) : problem(route, 404, `no company profile in ${id}`);
    }
    if (collection === 'documents') {
      if (method === 'POST' && !id) {
        const multipart = request.postData() ?? '';
        const filename = /filename="([^"]+)"/.exec(multipart)?.[1] ?? 'document';
        const category = /name="category"\r\n\r\n([^\r]+)/.exec(multipart)?.[1] ?? 'other';
        const document = {
          id: uuid(next++),
          title: filename,
          filename,
          media_type: 'application/pdf',
          size_bytes: multipart.length,
          category,
          language: null,
          person_id: null,
          status: 'uploaded',
          pages_total: null,
          pages_done: 0,
          passage_count: 0,
          ocr_pages: 0,
          failure_code: null,
          failure_reason: null,
          owner: principal.name,
          review_by: null,
        };
        state.documents.unshift(document);
        return json(route, document, 201);
      }
      const document = id && state.documents.find((item) => item.id === id);
      if (id && !document) return problem(route, 404, 'document not found');
      if (method === 'GET' && document) {
        Object.assign(document, INDEXING[Math.min(polls++, INDEXING.length - 1)]);
        return json(route, document);
      }
      if (method === 'DELETE' && document) {
        state.documents = state.documents.filter((item) => item !== document);
        return route.fulfill({ status: 204, headers: cors });
      }
      return json(route, { items: state.documents, next_after: null });
    }
    const items = state[collection];
    if (!Array.isArray(items)) return problem(route, 404, `no route ${method} ${url.pathname}`);
    if (sub === 'rates' && method === 'POST') {
      if (!principal.admin) return problem(route, 403, 'changing the rate card needs an admin token');
      const role = items.find((item) => item.id === id);
      const rate = body();
      role.rates.push(rate);
      role.current_rate = rate;
      return json(route, role, 201);
    }
    if (method === 'GET' && !id) return json(route, { items, next_after: null });
    const index = items.findIndex((item) => item.id === id);
    if (id && index < 0) return problem(route, 404, 'not found');
    if (method === 'GET') return json(route, items[index]);
    if (method === 'POST') {
      const input = body();
      if (!input.name?.trim() && collection === 'people') {
        return json(route, { type: 'about:blank', title: 'Unprocessable Entity', status: 422, detail: 'name is required', errors: [{ field: 'name', message: 'is required', type: 'missing' }] }, 422);
      }
      const created = { ...input, id: uuid(next++), ...(collection === 'roles' ? { current_rate: null, rates: [] } : {}) };
      items.push(created);
      return json(route, created, 201);
    }
    if (method === 'PUT') {
      items[index] = { ...items[index], ...body(), id };
      return json(route, items[index]);
    }
    if (method === 'DELETE') {
      items.splice(index, 1);
      return route.fulfill({ status: 204, headers: cors });
    }
    return problem(route, 405, 'method not allowed');
  });
  return { calls, state };
}
