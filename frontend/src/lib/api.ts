/** The gateway's HTTP API: a bearer token or the web session's cookie (with its CSRF token on changes) on every
call, problem+json errors mapped to ApiError. */
import type {
  ApiToken,
  AuditPage,
  Invitation,
  NewInvitation,
  ApiTokenRequest,
  BackupOverview,
  CreatedApiToken,
  EffortEdit,
  Principal,
  Proposal,
  ProposalList,
  ProposalRequest,
  ProposalStart,
  ProposalSummary,
  Readiness,
  NewUserAccount,
  DirectoryPerson,
  Template,
  TemplateSummary,
  UserAccount,
  UserAccountPatch,
  TemplateUpload,
  Version,
  CreatedWebhookEndpoint,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointChange,
  WebhookEndpointRequest,
  WebhookSecret,
} from './types';

export interface FieldProblem {
  field: string;
  /** The gateway's wording, in English. */
  message: string;
  /** pydantic's error type ("missing", "string_too_long"…), for a client to word the error in its own language. */
  type?: string;
  /** The bound the value broke, e.g. {"max_length": 200}. */
  limits?: Record<string, string | number>;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: FieldProblem[];
  checks?: Record<string, string>;
  [extra: string]: unknown;
}

/** What the proposal page exports: HTML, Markdown, Word, or the archival PDF/A-3b. */
export type ExportFormat = 'html' | 'md' | 'docx' | 'pdfa';

/** How an export's file name ends, as the gateway names it ("-v3.docx", "-v3-pdfa.pdf"). */
export function exportSuffix(format: ExportFormat): string {
  return format === 'pdfa' ? '-pdfa.pdf' : `.${format}`;
}

export type ApiErrorKind =
  | 'network'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition'
  | 'invalid'
  | 'too_large'
  | 'unavailable'
  | 'server';

/** A failed call: what kind of failure, the HTTP status (0 when the gateway was not reached) and the problem. */
export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
  }

  /** Field name → message, from a 422 problem's `errors`, each worded by `word` (the gateway's English otherwise). */
  fieldErrors(word: (item: FieldProblem) => string = (item) => item.message): Record<string, string> {
    const result: Record<string, string> = {};
    for (const item of this.problem.errors ?? []) {
      const field = item.field.split('.').pop() ?? item.field;
      const message = word(item);
      result[field] = result[field] ? `${result[field]}; ${message}` : message;
    }
    return result;
  }
}

export function kindOfStatus(status: number): ApiErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404 || status === 405) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 412) return 'precondition';
  if (status === 413) return 'too_large';
  if (status === 422 || status === 400) return 'invalid';
  if (status === 503) return 'unavailable';
  return 'server';
}

export interface ApiClientOptions {
  baseUrl: string;
  token: string | null;
  /** A web session's CSRF token: sent as X-CSRF-Token with every change (the cookie goes by itself). */
  csrfToken?: string | null;
  /** Called on any 401: the session is over. */
  onUnauthorized?: () => void;
  fetchImpl?: typeof fetch;
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string | null;
  private readonly csrfToken: string | null;
  private readonly onUnauthorized?: () => void;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.csrfToken = options.csrfToken ?? null;
    this.onUnauthorized = options.onUnauthorized;
    this.fetchImpl = options.fetchImpl ?? ((input, init) => fetch(input, init));
  }

  /** An absolute URL for a gateway path ("/api/..."). */
  url(path: string): string {
    return /^https?:/.test(path) ? path : `${this.baseUrl}${path}`;
  }

  authHeaders(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  /** One call; returns the raw Response when it succeeded, throws ApiError otherwise. */
  async raw(path: string, init: RequestInit = {}): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...this.authHeaders() };
    // A FormData body (an upload) gets its multipart Content-Type, with the boundary, from the browser.
    if (init.body !== undefined && !(init.body instanceof FormData)) headers['Content-Type'] = 'application/json';
    const method = (init.method ?? 'GET').toUpperCase();
    if (this.csrfToken && method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = this.csrfToken;
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path), {
        ...init,
        headers: { ...headers, ...(init.headers as Record<string, string> | undefined) },
        cache: 'no-store',
        credentials: 'include',
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new ApiError('network', 0, { title: 'Network error', detail: String(error) });
    }
    if (response.ok) return response;
    const problem = await readProblem(response);
    if (response.status === 401) this.onUnauthorized?.();
    throw new ApiError(kindOfStatus(response.status), response.status, problem);
  }

  async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await this.raw(path, init);
    return (await response.json()) as T;
  }

  /** Who this client's token is; a 401 when the gateway does not know the token. */
  async me(): Promise<Principal> {
    const body = await this.json<Partial<Principal> | null>('/api/me');
    if (!body || typeof body.name !== 'string' || typeof body.admin !== 'boolean') {
      throw new ApiError('server', 200, { title: 'Unexpected answer', detail: 'GET /api/me did not answer {"name", "admin"}.' });
    }
    // What the web app uses; the role, how the caller signed in, its account and (web sessions) the CSRF token.
    return { name: body.name, admin: body.admin, role: body.role, via: body.via, user: body.user, csrf_token: body.csrf_token };
  }

  /** Open a web session with an e-mail and a password: the gateway sets its cookie; the answer has the CSRF token. */
  passwordSignIn(email: string, password: string): Promise<Principal> {
    return this.json('/api/auth/sign-in', { method: 'POST', body: JSON.stringify({ email, password }) });
  }

  /** End this web session (the gateway clears its cookie). */
  async signOutSession(): Promise<void> {
    await this.raw('/api/auth/sign-out', { method: 'POST' });
  }

  /** Change the caller's own account (its language, its display name). */
  changeMe(change: { language?: 'pt-BR' | 'en'; display_name?: string }): Promise<Principal> {
    return this.json('/api/me', { method: 'PATCH', body: JSON.stringify(change) });
  }

  /** Every account (admins). */
  listUsers(): Promise<{ items: UserAccount[] }> {
    return this.json('/api/users');
  }

  /** Active colleagues whose name or e-mail contains `search` (anyone signed in), or those with `ids` (to name them). */
  userDirectory(search: string | null, options: { ids?: string[]; limit?: number; signal?: AbortSignal } = {}): Promise<{ items: DirectoryPerson[] }> {
    const query = new URLSearchParams();
    if (search) query.set('q', search);
    for (const id of options.ids ?? []) query.append('ids', id);
    if (options.limit) query.set('limit', String(options.limit));
    const suffix = query.toString();
    return this.json(`/api/users/directory${suffix ? `?${suffix}` : ''}`, { signal: options.signal });
  }

  createUser(account: NewUserAccount): Promise<UserAccount> {
    return this.json('/api/users', { method: 'POST', body: JSON.stringify(account) });
  }

  changeUser(id: string, patch: UserAccountPatch): Promise<UserAccount> {
    return this.json(`/api/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: JSON.stringify(patch) });
  }

  /** Invite someone (admins): the answer holds the single-use link, shown only now, and whether it was e-mailed. */
  inviteUser(invitation: NewInvitation): Promise<Invitation> {
    return this.json('/api/users/invitations', { method: 'POST', body: JSON.stringify(invitation) });
  }

  /** Set an account's password (admins); 422 `password_rejected` when it breaks the rules. */
  async setUserPassword(id: string, password: string): Promise<void> {
    await this.raw(`/api/users/${encodeURIComponent(id)}/password`, { method: 'PUT', body: JSON.stringify({ password }) });
  }

  /** The audit log (admins), newest first; `query` is built by `auditQuery` (lib/audit.ts). */
  listAudit(query: URLSearchParams): Promise<AuditPage> {
    const suffix = query.toString();
    return this.json(`/api/audit${suffix ? `?${suffix}` : ''}`);
  }

  /** Replace a proposal's collaborators (its owner, managers and admins may; 403 `not_the_owner` otherwise). */
  setCollaborators(id: string, userIds: string[]): Promise<Proposal> {
    return this.json(`/api/proposals/${encodeURIComponent(id)}/collaborators`, { method: 'PUT', body: JSON.stringify({ user_ids: userIds }) });
  }

  /** Delete a proposal (its owner, managers and admins): hidden from every list and read from now on. */
  async deleteProposal(id: string): Promise<void> {
    await this.raw(`/api/proposals/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  /** End every web session of an account. */
  async endSessions(id: string): Promise<void> {
    await this.raw(`/api/users/${encodeURIComponent(id)}/sessions`, { method: 'DELETE' });
  }

  /** Which sign-in methods the gateway offers (single sign-on when it is configured). */
  signInMethods(): Promise<{ password: boolean; sso: boolean }> {
    return this.json('/api/auth/methods');
  }

  health(): Promise<{ status: string }> {
    return this.json('/api/health');
  }

  /** Readiness: resolves with the checks whether the gateway says 200 or 503. */
  async ready(): Promise<Readiness> {
    try {
      return await this.json<Readiness>('/api/ready');
    } catch (error) {
      if (error instanceof ApiError && error.status === 503) {
        return { status: 'unavailable', checks: (error.problem.checks as Record<string, string>) ?? {} };
      }
      throw error;
    }
  }

  listProposals(query: { status?: string; industry?: string; q?: string; page?: number; page_size?: number; mine?: boolean }): Promise<ProposalList> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '' && value !== null) params.set(key, String(value));
    }
    const suffix = params.toString();
    return this.json(`/api/proposals${suffix ? `?${suffix}` : ''}`);
  }

  createProposal(request: ProposalRequest): Promise<ProposalSummary> {
    return this.json('/api/proposals', { method: 'POST', body: JSON.stringify(request) });
  }

  /** Start a proposal from the client's documents: it waits for them and for its request to be confirmed. */
  startFromDocuments(start: ProposalStart): Promise<Proposal> {
    return this.json('/api/proposals/from-documents', { method: 'POST', body: JSON.stringify(start) });
  }

  /** Confirm the request of a proposal started from documents: it is queued for its first draft. */
  confirmProposal(id: string, request: ProposalRequest): Promise<Proposal> {
    return this.json(`/api/proposals/${encodeURIComponent(id)}/confirm`, { method: 'POST', body: JSON.stringify(request) });
  }

  getProposal(id: string): Promise<Proposal> {
    return this.json(`/api/proposals/${encodeURIComponent(id)}`);
  }

  listVersions(id: string): Promise<{ items: Version[] }> {
    return this.json(`/api/proposals/${encodeURIComponent(id)}/versions`);
  }

  editSection(id: string, key: string, content: string): Promise<ProposalSummary> {
    return this.json(`/api/proposals/${encodeURIComponent(id)}/sections/${encodeURIComponent(key)}`, {
      method: 'PUT',
      body: JSON.stringify({ content }),
    });
  }

  regenerateSection(id: string, key: string, instructions: string): Promise<ProposalSummary> {
    return this.json(`/api/proposals/${encodeURIComponent(id)}/sections/${encodeURIComponent(key)}/regenerate`, {
      method: 'POST',
      body: JSON.stringify({ instructions: instructions.trim() || null }),
    });
  }

  /** New hours per phase and role, as a new version: the gateway prices every line and the totals (422: a role not on the version's rate card). */
  editEffort(id: string, edit: EffortEdit): Promise<Proposal> {
    return this.json(`/api/proposals/${encodeURIComponent(id)}/effort`, { method: 'PATCH', body: JSON.stringify(edit) });
  }

  /** A binary resource (PDF, export) as a Blob. */
  async blob(path: string, accept = '*/*'): Promise<Blob> {
    const response = await this.raw(path, { headers: { Accept: accept } });
    return response.blob();
  }

  pdfPath(id: string, version?: number): string {
    return `/api/proposals/${encodeURIComponent(id)}/pdf${version ? `?version=${version}` : ''}`;
  }

  /** The export of a proposal; `pdfa` is the archival PDF/A-3b the gateway renders on demand (ADR 0022). */
  exportPath(id: string, format: ExportFormat): string {
    const query = format === 'pdfa' ? 'format=pdf&variant=pdf%2Fa-3b' : `format=${format}`;
    return `/api/proposals/${encodeURIComponent(id)}/export?${query}`;
  }

  eventsUrl(id: string): string {
    return this.url(`/api/proposals/${encodeURIComponent(id)}/events`);
  }

  listTemplates(): Promise<{ items: TemplateSummary[] } | TemplateSummary[]> {
    return this.json('/api/templates');
  }

  getTemplate(name: string): Promise<Template> {
    return this.json(`/api/templates/${encodeURIComponent(name)}`);
  }

  /**
   * Create or replace a template. `expectedVersion` is the version the change was made from (0: the template must not
   * exist yet): sent as `If-Match`, and a template changed since then is refused with a 412 (kind 'precondition').
   */
  async saveTemplate(name: string, template: TemplateUpload, expectedVersion?: number): Promise<Template> {
    const init: RequestInit = { method: 'PUT', body: JSON.stringify(template) };
    const path = `/api/templates/${encodeURIComponent(name)}`;
    const response = expectedVersion === undefined ? await this.raw(path, init) : await this.ifMatch(path, init, expectedVersion);
    return (await response.json()) as Template;
  }

  /** Delete a template (never the default: 409); `expectedVersion` as for `saveTemplate`. */
  deleteTemplate(name: string, expectedVersion?: number): Promise<Response> {
    const path = `/api/templates/${encodeURIComponent(name)}`;
    return expectedVersion === undefined ? this.raw(path, { method: 'DELETE' }) : this.ifMatch(path, { method: 'DELETE' }, expectedVersion);
  }

  /** A template change sent with `If-Match: "<expectedVersion>"` (the gateway's CORS policy allows the header). */
  private ifMatch(path: string, init: RequestInit, expectedVersion: number): Promise<Response> {
    return this.raw(path, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), 'If-Match': `"${expectedVersion}"` } });
  }

  async previewTemplate(name: string, template: TemplateUpload, language: 'pt-BR' | 'en' = 'pt-BR'): Promise<Blob> {
    const response = await this.raw(`/api/templates/${encodeURIComponent(name)}/preview?language=${language}`, {
      method: 'POST',
      body: JSON.stringify(template),
      headers: { Accept: 'application/pdf' },
    });
    return response.blob();
  }

  backups(): Promise<BackupOverview> {
    return this.json('/api/backups');
  }

  /** API tokens (admins), newest first; revoked ones only when asked. */
  listTokens(includeRevoked = false): Promise<{ items: ApiToken[] }> {
    return this.json(`/api/tokens${includeRevoked ? '?include_revoked=true' : ''}`);
  }

  /** A new token; the answer holds its secret, which the gateway never shows again. */
  createToken(request: ApiTokenRequest): Promise<CreatedApiToken> {
    return this.json('/api/tokens', { method: 'POST', body: JSON.stringify(request) });
  }

  /** Revoke a token: it stops working at once. */
  revokeToken(id: string): Promise<Response> {
    return this.raw(`/api/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  /** Webhook endpoints (admins), oldest first. */
  listWebhooks(): Promise<{ items: WebhookEndpoint[] }> {
    return this.json('/api/webhooks');
  }

  /** Register an endpoint; the answer holds its signing secret, which the gateway never shows again. */
  createWebhook(request: WebhookEndpointRequest): Promise<CreatedWebhookEndpoint> {
    return this.json('/api/webhooks', { method: 'POST', body: JSON.stringify(request) });
  }

  /** Enable or disable an endpoint (enabling forgets the failures that disabled it). */
  setWebhookEnabled(id: string, enabled: boolean): Promise<WebhookEndpoint> {
    return this.json(`/api/webhooks/${encodeURIComponent(id)}`, { method: 'PATCH', body: JSON.stringify({ enabled }) });
  }

  /** Change an endpoint's URL, events, description or enabled state (only the fields given). */
  updateWebhook(id: string, changes: WebhookEndpointChange): Promise<WebhookEndpoint> {
    return this.json(`/api/webhooks/${encodeURIComponent(id)}`, { method: 'PATCH', body: JSON.stringify(changes) });
  }

  /** A new signing secret, shown once; the previous one keeps signing for `keepPreviousHours` (0: stops now). */
  rotateWebhookSecret(id: string, keepPreviousHours: number): Promise<WebhookSecret> {
    return this.json(`/api/webhooks/${encodeURIComponent(id)}/rotate-secret?keep_previous_hours=${keepPreviousHours}`, { method: 'POST' });
  }

  /** Remove an endpoint, its deliveries and their log. */
  deleteWebhook(id: string): Promise<Response> {
    return this.raw(`/api/webhooks/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  /** An endpoint's delivery log, newest first. */
  webhookDeliveries(id: string): Promise<{ items: WebhookDelivery[] }> {
    return this.json(`/api/webhooks/${encodeURIComponent(id)}/deliveries`);
  }

  /** Send a delivery again now, with the same webhook-id. */
  resendDelivery(id: string, deliveryId: string): Promise<Response> {
    return this.raw(`/api/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}/resend`, { method: 'POST' });
  }
}

async function readProblem(response: Response): Promise<Problem> {
  const text = await response.text().catch(() => '');
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') {
      const problem = parsed as Problem & { detail?: unknown };
      // FastAPI's own 422 uses detail: [{loc,msg}]; turn it into field errors.
      if (Array.isArray(problem.detail)) {
        const items = problem.detail as Array<{ loc?: unknown[]; msg?: string }>;
        return {
          status: response.status,
          title: response.statusText,
          errors: items.map((item) => ({ field: String(item.loc?.[item.loc.length - 1] ?? ''), message: item.msg ?? '' })),
        };
      }
      return { status: response.status, ...problem };
    }
  } catch {
    // not JSON: fall through
  }
  return { status: response.status, title: response.statusText || `HTTP ${response.status}`, detail: text.slice(0, 300) };
}
