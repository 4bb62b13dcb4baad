// The fake library gateway (library-gateway.mjs: it answers as the real routes do, checked against docs/openapi.json)
// installed with Playwright's page.route for the Library's browser tests: /api/me and /api/library/..., with CORS
// headers as the real gateway sends them to the web app's origin; it records the calls. The same flows run against the
// real gateway in frontend.test.mjs.
import { libraryGateway } from './library-gateway.mjs';

export { ROLE_ID, PERSON_ID, PROPOSAL_ID } from './library-gateway.mjs';
export const FAKE_GATEWAY = 'http://gateway.invalid:8000';

/** What successive GETs of an uploaded document answer: indexing page by page, then indexed. */
const INDEXING = [
  { status: 'indexing', pages_total: 3, pages_done: 1 },
  { status: 'indexing', pages_total: 3, pages_done: 2 },
  { status: 'indexed', pages_total: 3, pages_done: 3, passage_count: 12, ocr_pages: 0 },
];

/** A multipart/form-data body (as Chromium sends it) as { file: { name, bytes }, fields }. */
function parseMultipart(buffer, contentType) {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType ?? '');
  if (!buffer || !boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const form = { file: undefined, fields: {} };
  let start = buffer.indexOf(delimiter);
  while (start >= 0) {
    const next = buffer.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    const part = buffer.subarray(start + delimiter.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, split).toString('utf8');
    const body = part.subarray(split + 4);
    const name = /name="([^"]*)"/.exec(headers)?.[1];
    const filename = /filename="([^"]*)"/.exec(headers)?.[1];
    if (name === 'file' && filename !== undefined) form.file = { name: filename, bytes: new Uint8Array(body) };
    else if (name) form.fields[name] = body.toString('utf8');
    start = next;
  }
  return form;
}

/** Route every call to FAKE_GATEWAY on `page`; returns the recorded calls and the state. */
export async function installFakeGateway(page, { frontendOrigin, principal = { name: 'admin', admin: true } }) {
  const gateway = libraryGateway({ principal, documentStates: INDEXING, company: true });
  const calls = [];
  const cors = {
    'Access-Control-Allow-Origin': frontendOrigin,
    'Access-Control-Allow-Credentials': 'true', // the web app sends credentials (a web session's cookie)
    'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-Match, Last-Event-ID',
    'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
    Vary: 'Origin',
  };
  const json = (route, body, status = 200) =>
    route.fulfill({ status, headers: { ...cors, 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' }, body: JSON.stringify(body) });

  await page.route(`${FAKE_GATEWAY}/**`, async (route) => {
    const request = route.request();
    const url = new URL(request.url());
    const method = request.method();
    if (method === 'OPTIONS') return route.fulfill({ status: 204, headers: cors });
    const headers = request.headers();
    calls.push({ method, path: url.pathname, search: url.search, body: request.postData(), headers });
    if (headers['authorization'] !== 'Bearer e2e-library-token') return json(route, { type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'missing or unknown token' }, 401);
    if (url.pathname === '/api/me') return json(route, principal);
    if (url.pathname === '/api/proposals') return json(route, { items: [], total: 0, total_exact: true, page: 1, page_size: 20, next_cursor: null });
    if (url.pathname === '/api/templates') return json(route, { items: [] });
    const multipart = /^multipart\/form-data/.test(headers['content-type'] ?? '');
    const answer = gateway.handle({
      method,
      path: url.pathname,
      query: url.searchParams,
      json: !multipart && request.postData() ? JSON.parse(request.postData()) : undefined,
      form: multipart ? parseMultipart(request.postDataBuffer(), headers['content-type']) : undefined,
    });
    if (answer.status === 204) return route.fulfill({ status: 204, headers: cors });
    return json(route, answer.body, answer.status);
  });
  return { calls, state: gateway.state };
}
