/**
 * Shapes of the gateway's JSON. Those its OpenAPI document describes come from src/lib/api-schema.ts, generated from
 * it (scripts/api-types.mjs); only what the document does not describe (the SSE events, readiness) is written here.
 */
import type { components } from './api-schema';

type Schemas = components['schemas'];

export type ProposalStatus = Schemas['ProposalSummary']['status'];
export type Language = Schemas['Language'];
export type Failure = Schemas['FailureView'];
export type ProposalSummary = Schemas['ProposalSummary'];
export type Section = Schemas['Section'];
export type DraftInfo = Schemas['DraftInfo'];
export type InvestmentItem = Schemas['InvestmentItem'];

/** An exact decimal as the API writes it ("5499.99"): format it, never do arithmetic on it as a float. */
export type DecimalString = string;

export type InvestmentLine = Schemas['InvestmentLineView'];
export type InvestmentTax = Schemas['TaxView'];
/** The investment priced by the gateway with the same code as the PDF: discount on the subtotal, taxes on `net`. */
export type Investment = Schemas['InvestmentView'];
export type TimelinePhase = Schemas['TimelinePhase'];
export type Proposal = Schemas['ProposalView'];
export type ProposalList = Schemas['ProposalList'];
export type Version = Schemas['VersionView'];
/** What a grounded version stands on (issue #15): the passages a section cites, the team, the priced effort, flags. */
export type SectionSources = Schemas['SectionSourcesView'];
export type Source = Schemas['SourceView'];
export type TeamMember = Schemas['TeamMember'];
export type Effort = Schemas['EffortView'];
export type EffortLine = Schemas['EffortLineView'];
export type BudgetComparison = Schemas['BudgetComparisonView'];
export type ClaimFlag = Schemas['ClaimFlag'];
export type SearchMode = NonNullable<Proposal['search_mode']>;
/** PATCH /api/proposals/{id}/effort's body: hours per phase and role only; the gateway prices them. */
export type EffortEdit = Schemas['EffortEdit'];
/**
 * POST /api/proposals's body. openapi-typescript reads a default as "always present", right for responses; in this
 * request the gateway fills `language` and `template` in when they are left out.
 */
export type ProposalRequest = Omit<Schemas['ProposalRequest'], 'language' | 'template'> & Partial<Pick<Schemas['ProposalRequest'], 'language' | 'template'>>;
export type ProposalStart = Partial<Schemas['ProposalStart']>;

export type TemplateSummary = Schemas['TemplateSummary'];
export type TemplateFile = Schemas['TemplateFileView'];
/** One change in a template's history. */
export type TemplateVersion = Schemas['TemplateVersionView'];
export type Template = Schemas['TemplateDetail'];
/** One file of an upload: its text, its bytes in base64, or the SHA-256 of a file the gateway already stores. */
export type TemplateFileUpload = Schemas['TemplateFileUpload'];
/** What PUT /api/templates/{name} and the preview take: the manifest (without `name`) and every other file by path. */
export type TemplateUpload = Schemas['TemplateUpload'];

export type BackupKind = Schemas['KindSummary'];
export type BackupRecord = Schemas['BackupRecord'];
export type BackupOverview = Schemas['BackupOverview'];

/** Who is signed in, as `GET /api/me` says. */
/** Who is signed in: the web app reads `name` and `admin`; the role, how and which account are there since accounts. */
export type Principal = Pick<Schemas['Me'], 'name' | 'admin'> & Partial<Omit<Schemas['Me'], 'name' | 'admin'>>;
/** An API token as listed: never its secret. */
/** A token as listed; `role` and `owner_id` are shown by the gateway since accounts (the page does not show them yet). */
export type ApiToken = Omit<Schemas['TokenView'], 'role' | 'owner_id'> & Partial<Pick<Schemas['TokenView'], 'role' | 'owner_id'>>;
/** A token just created: `token` is its secret, in this response only. */
export type CreatedApiToken = Schemas['CreatedToken'];
export type ApiTokenRequest = Schemas['TokenRequest'];

/** A webhook endpoint as listed: never its secret. */
export type WebhookEndpoint = Schemas['EndpointView'];
/** An endpoint just registered: `secret` is its signing secret, in this response only. */
export type CreatedWebhookEndpoint = Schemas['EndpointWithSecret'];
export type WebhookEndpointRequest = Schemas['EndpointRequest'];
export type WebhookEndpointChange = Schemas['EndpointChange'];
/** A new signing secret (after a rotation), shown once. */
export type WebhookSecret = Schemas['SecretView'];
/** One message to an endpoint with its tries (the delivery log). */
export type WebhookDelivery = Schemas['DeliveryView'];
export type WebhookTry = Schemas['TryView'];

/** `GET /api/ready`'s body (200 or 503); the document gives it no schema. */
export interface Readiness {
  status: string;
  checks: Record<string, string>;
}

/** The `status` event of `GET /api/proposals/{id}/events` (Server-Sent Events, not in the OpenAPI document). */
export interface StatusEvent {
  status: ProposalStatus;
  version: number;
  error: Failure | null;
}

/** The `progress` event of the same stream. */
export interface ProgressEvent {
  version: number;
  section: string | null;
  title: string | null;
  text: string;
  completed: string[];
  characters: number;
  /** News while the model server does not answer, already in the proposal's language. */
  notice?: string | null;
  retry_in_seconds?: number | null;
}

/** An account, as admins see it (never its password). */
export type UserAccount = Schemas['UserView'];
/** An active colleague as anyone signed in sees them in the directory: id, name and e-mail. */
export type DirectoryPerson = Schemas['DirectoryPerson'];
/** An account to create. */
export type NewUserAccount = Schemas['NewUser'];
/** What an admin changes of an account. */
export type UserAccountPatch = Schemas['UserPatch'];
/** An invitation just made: `link` is shown in this response only. */
export type Invitation = Schemas['InvitationView'];
/** POST /api/users/invitations's body (`role` defaults to editor). */
export type NewInvitation = Omit<Schemas['NewInvitation'], 'role'> & Partial<Pick<Schemas['NewInvitation'], 'role'>>;
/** One record of the audit log: who did what, when, from where, to which object. */
export type AuditRecord = Schemas['AuditView'];
/** A page of the audit log and the `before` of the next one (null on the last). */
export type AuditPage = Schemas['AuditPage'];
