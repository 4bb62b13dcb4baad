/** Shapes of the gateway's JSON, as its OpenAPI document describes them. */

export type ProposalStatus = 'queued' | 'generating' | 'rendering' | 'ready' | 'failed';
export type Language = 'pt-BR' | 'en';

export interface Failure {
  stage: string;
  detail: string;
}

export interface ProposalSummary {
  id: string;
  status: ProposalStatus;
  version: number;
  client_name: string;
  industry: string;
  language: Language;
  template: string;
  created_at: string;
  updated_at: string;
  error: Failure | null;
  pdf_url: string | null;
}

export interface Section {
  key: string;
  title: string;
  content: string;
}

export interface DraftInfo {
  provider: string;
  model: string;
  ai_generated: boolean;
  prompt_version: string | null;
  prompt_tokens: number | null;
  output_tokens: number | null;
  duration_ms: number | null;
}

export interface InvestmentItem {
  description: string;
  quantity: string;
  unit_price: string;
}

/** An exact decimal as the API writes it ("5499.99"): format it, never do arithmetic on it as a float. */
export type DecimalString = string;

export interface InvestmentLine {
  description: string;
  quantity: DecimalString;
  unit_price: DecimalString;
  amount: DecimalString;
}

export interface InvestmentTax {
  label: string;
  /** In percent ("5"). */
  rate: DecimalString;
  amount: DecimalString;
}

/** The investment priced by the gateway with the same code as the PDF: discount on the subtotal, taxes on `net`. */
export interface Investment {
  /** ISO 4217, from the template's manifest. */
  currency: string;
  lines: InvestmentLine[];
  subtotal: DecimalString;
  discount_percent: DecimalString | null;
  discount: DecimalString;
  net: DecimalString;
  taxes: InvestmentTax[];
  total: DecimalString;
  /** Where currency and taxes came from; not 'template' when the proposal's template can no longer be read. */
  pricing_source: 'template' | 'default_template' | 'built_in';
  note: string | null;
}

export interface TimelinePhase {
  name: string;
  duration: string;
  deliverables: string[];
}

export interface Proposal extends ProposalSummary {
  requirements: string;
  scope: string | null;
  timeline: string | null;
  budget: string | null;
  sections: Section[];
  discount_percent: DecimalString | null;
  investment_items: InvestmentItem[];
  /** Null when the version has no investment items. */
  investment: Investment | null;
  timeline_phases: TimelinePhase[];
  assumptions: string[];
  draft: DraftInfo | null;
  pages: number | null;
  pdf_version: number | null;
}

export interface ProposalList {
  items: ProposalSummary[];
  /** How many match, counted up to the gateway's limit: at least this many when `total_exact` is false. */
  total: number;
  total_exact: boolean;
  page: number;
  page_size: number;
  next_cursor: string | null;
}

export interface Version {
  version: number;
  origin: 'draft' | 'regenerate' | 'edit';
  section_key: string | null;
  instructions: string | null;
  created_at: string;
  drafted_at: string | null;
  rendered_at: string | null;
  draft: DraftInfo | null;
  pages: number | null;
  pdf_url: string | null;
}

export interface ProposalRequest {
  client_name: string;
  industry: string;
  requirements: string;
  scope?: string | null;
  timeline?: string | null;
  budget?: string | null;
  language?: Language;
  template?: string;
}

export interface StatusEvent {
  status: ProposalStatus;
  version: number;
  error: Failure | null;
}

export interface ProgressEvent {
  version: number;
  section: string | null;
  title: string | null;
  text: string;
  completed: string[];
  characters: number;
}

export interface TemplateSummary {
  name: string;
  version?: number;
  description?: string | null;
  company_name?: string;
  is_default?: boolean;
  updated_at?: string | null;
}

export interface TemplateFile {
  path: string;
  size: number;
  sha256: string;
  media_type: string;
  /** The file's text when it is a text file (HTML, CSS, ...); null for binaries. */
  text: string | null;
  /** Where to download this version of the file ("/api/templates/{name}/files/{path}?version=N"). */
  url?: string;
}

/** One change in a template's history. */
export interface TemplateVersion {
  version: number;
  action: 'installed' | 'updated' | 'deleted';
  tree_sha256: string | null;
  /** The principal that made it ("admin", "token:<name>", or the system). */
  created_by: string;
  created_at: string;
}

export interface Template extends TemplateSummary {
  /** The version now in force (this detail may be an older `version`). */
  current_version?: number;
  manifest: Record<string, unknown>;
  files: TemplateFile[];
  /** Newest first. */
  history?: TemplateVersion[];
}

/** One file of an upload: its text, its bytes in base64, or the SHA-256 of a file the gateway already stores. */
export type TemplateFileUpload = { text: string } | { base64: string } | { sha256: string };

/** What PUT /api/templates/{name} and the preview take: the manifest (without `name`) and every other file by path. */
export interface TemplateUpload {
  manifest: Record<string, unknown>;
  files: Record<string, TemplateFileUpload>;
}

export interface BackupKind {
  kind: string;
  last_verified_at: string | null;
  age_seconds: number | null;
  size_bytes: number | null;
  last_run_status: string | null;
  last_run_at: string | null;
  last_run_error: string | null;
  consecutive_failures: number;
  last_drill_at?: string | null;
  last_drill_ok?: boolean | null;
}

export interface BackupRecord {
  id: string;
  kind: string;
  status: string;
  trigger: string;
  started_at: string;
  finished_at: string;
  size_bytes: number | null;
  error: string | null;
}

export interface BackupOverview {
  kinds: BackupKind[];
  items: BackupRecord[];
  total: number;
}

export interface Readiness {
  status: string;
  checks: Record<string, string>;
}

/** Who is signed in, as `GET /api/me` says. */
export interface Principal {
  /** "admin" for the gateway's admin token, "token:<name>" for a token made through the API. */
  name: string;
  /** May change templates, manage tokens and see backups. */
  admin: boolean;
}

/** An API token as listed: never its secret. */
export interface ApiToken {
  id: string;
  name: string;
  /** The token's first characters, to tell it apart. */
  prefix: string;
  admin: boolean;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  /** To the minute. */
  last_used_at: string | null;
  revoked_at: string | null;
}

/** A token just created: `token` is its secret, in this response only. */
export interface CreatedApiToken extends ApiToken {
  token: string;
}

export interface ApiTokenRequest {
  name: string;
  admin: boolean;
  /** Unset: the token never expires. */
  expires_in_days: number | null;
}
