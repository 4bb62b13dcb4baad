/**
 * A proposal's client documents (RFP, edital) and its compliance matrix (issue #16): attach a file, read the
 * requirements found with their exact quotes and pages, set each one's status, export the matrix.
 */
import type { ApiClient } from './api';
import type { components } from './api-schema';
import type { MessageKey } from './messages';

type Schemas = components['schemas'];
export type ClientDocument = Schemas['ClientDocumentView'];
export type RequirementRow = Schemas['RequirementView'];
export type RequirementMatrix = Schemas['RequirementList'];
export type ComplianceEdit = Schemas['ComplianceEdit'];
export type ComplianceStatus = ComplianceEdit['status'];

export const COMPLIANCE_STATUSES: readonly ComplianceStatus[] = ['answered', 'partial', 'not_answered', 'not_applicable'];

export class RequirementsApi {
  constructor(
    private readonly api: ApiClient,
    private readonly proposalId: string,
  ) {}

  private get base(): string {
    return `/api/proposals/${encodeURIComponent(this.proposalId)}`;
  }

  /** Attach a client's document; 201 new, 200 the same content was attached already. */
  async attach(file: Blob, filename: string): Promise<ClientDocument> {
    const form = new FormData();
    form.append('file', file, filename);
    const response = await this.api.raw(`${this.base}/documents`, { method: 'POST', body: form });
    return (await response.json()) as ClientDocument;
  }

  /** Remove a document and the requirements found in it; `force` also when a person assessed some of them. */
  async remove(documentId: string, force = false): Promise<void> {
    await this.api.raw(`${this.base}/documents/${encodeURIComponent(documentId)}${force ? '?force=true' : ''}`, { method: 'DELETE' });
  }

  async documents(): Promise<ClientDocument[]> {
    return (await this.api.json<{ items: ClientDocument[] }>(`${this.base}/documents`)).items;
  }

  matrix(version?: number): Promise<RequirementMatrix> {
    return this.api.json<RequirementMatrix>(`${this.base}/requirements${version ? `?version=${version}` : ''}`);
  }

  setCompliance(requirementId: string, edit: ComplianceEdit): Promise<RequirementRow> {
    return this.api.json<RequirementRow>(`${this.base}/requirements/${encodeURIComponent(requirementId)}/compliance`, {
      method: 'PUT',
      body: JSON.stringify(edit),
    });
  }

  /** The matrix as a file, downloaded with the token (a plain link would not carry it). */
  async export(format: 'csv' | 'xlsx'): Promise<Blob> {
    return (await this.api.raw(`${this.base}/requirements/export?format=${format}`)).blob();
  }
}

/** Whether any document is still being read (the page polls until none is). */
export function stillReading(documents: readonly ClientDocument[]): boolean {
  return documents.some((document) => document.status === 'uploaded' || document.status === 'reading');
}

/** Whether the model's classify-and-merge pass over a read document's requirements has not answered yet: it always
 * answers (`skipped` without a model), and runs only when the rules found requirements. */
export function reviewPending(documents: readonly ClientDocument[]): boolean {
  return documents.some((document) => document.status === 'read' && !document.review && document.requirement_count > 0);
}

type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

/** A document's progress in words: "lendo a página 34 de 120", "57 requisitos encontrados", or why it failed. */
export function documentProgress(document: ClientDocument, t: Translate): string {
  switch (document.status) {
    case 'uploaded':
      return t('requirements.doc.queued');
    case 'reading':
      return document.pages_total
        ? t('requirements.doc.reading', { done: document.pages_done, total: document.pages_total })
        : t('requirements.doc.queued');
    case 'read': {
      const found = t(document.requirement_count === 1 ? 'requirements.doc.found.one' : 'requirements.doc.found.other', {
        count: document.requirement_count,
      });
      const review = document.review;
      if (!review) return document.requirement_count > 0 ? `${found} · ${t('requirements.doc.reviewRunning')}` : found;
      if (review.skipped) return `${found} · ${t('requirements.doc.reviewSkipped')}`;
      return `${found} · ${t('requirements.doc.reviewed', { relabelled: review.relabelled, merged: review.merged, ignored: review.ignored })}`;
    }
    default:
      return t('requirements.doc.failed', { reason: document.failure_reason ?? document.failure_code ?? '' });
  }
}

/** A document's date ("2027-03-10") as the calendar day it names, in `locale`: no time, whatever the time zone. */
export function formatDay(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${iso.slice(0, 10)}T00:00:00Z`));
}

/** "3 de 12 obrigatórios atendidos": how many mandatory requirements the matrix marks answered. */
export function mandatorySummary(rows: readonly RequirementRow[]): { answered: number; mandatory: number } {
  const mandatory = rows.filter((row) => row.obligation === 'mandatory');
  return { answered: mandatory.filter((row) => row.compliance?.status === 'answered').length, mandatory: mandatory.length };
}

/** What the read documents state of the request, for the person to confirm: the first document that states a
 * field gives it (client, object, budget ceiling as "BRL 480000.00", submission date), with where it was read. */
export interface SuggestedRequest {
  client_name?: { value: string; source: string };
  requirements?: { value: string; source: string };
  budget?: { value: string; source: string };
  timeline?: { value: string; source: string };
}

function sourceOf(file: string, page?: number | null): string {
  return page ? `${file}, p. ${page}` : file;
}

export function suggestedRequest(documents: readonly ClientDocument[]): SuggestedRequest {
  const suggestion: SuggestedRequest = {};
  for (const document of documents) {
    const fields = document.status === 'read' ? document.request_fields : null;
    if (!fields) continue;
    if (!suggestion.client_name && fields.client) {
      suggestion.client_name = { value: fields.client.value, source: sourceOf(fields.client.file, fields.client.page) };
    }
    if (!suggestion.requirements && fields.object) {
      suggestion.requirements = { value: fields.object.value, source: sourceOf(fields.object.file, fields.object.page) };
    }
    if (!suggestion.budget && fields.budget_ceiling) {
      const quote = fields.budget_quote;
      suggestion.budget = {
        value: `${fields.budget_currency ?? ''} ${fields.budget_ceiling}`.trim(),
        source: quote ? sourceOf(quote.file, quote.page) : document.filename,
      };
    }
    const submission = (fields.deadlines ?? []).find((deadline) => deadline.kind === 'submission');
    if (!suggestion.timeline && submission) {
      suggestion.timeline = { value: submission.date, source: sourceOf(submission.file, submission.page) };
    }
  }
  return suggestion;
}
