/**
 * Review of a proposal (issue #19): its review state and the moves a person may make, comment threads per section
 * (and per requirement, or on the whole proposal) with @mentions, and the approval rules admins keep.
 */
import type { ApiClient } from './api';
import type { components } from './api-schema';
import type { MessageKey } from './messages';

type Schemas = components['schemas'];
export type Review = Schemas['ReviewView'];
export type ReviewState = Review['state'];
export type ReviewTransition = Schemas['TransitionView'];
export type Thread = Schemas['ThreadView'];
export type ThreadList = Schemas['ThreadList'];
export type AnchorKind = Thread['anchor_kind'];
export type TransitionTarget = Schemas['TransitionBody']['to'];
export type ApprovalRule = Schemas['ApprovalRuleView'];
export type ApprovalRuleBody = Schemas['ApprovalRuleBody'];
export type RuleKind = ApprovalRule['kind'];

export const REVIEW_STATES: readonly ReviewState[] = ['draft', 'in_review', 'approved', 'sent', 'viewed', 'accepted', 'declined', 'expired', 'withdrawn'];
export const RULE_KINDS: readonly RuleKind[] = ['discount_above', 'total_above', 'template', 'industry'];

export class ReviewApi {
  constructor(
    private readonly api: ApiClient,
    private readonly proposalId: string,
  ) {}

  private get base(): string {
    return `/api/proposals/${encodeURIComponent(this.proposalId)}`;
  }

  review(): Promise<Review> {
    return this.api.json<Review>(`${this.base}/review`);
  }

  transition(to: TransitionTarget, reason?: string, override = false): Promise<Review> {
    const body = { to, reason: reason?.trim() || null, override };
    return this.api.json<Review>(`${this.base}/transitions`, { method: 'POST', body: JSON.stringify(body) });
  }

  threads(): Promise<ThreadList> {
    return this.api.json<ThreadList>(`${this.base}/threads`);
  }

  openThread(anchorKind: AnchorKind, anchor: string, body: string): Promise<Thread> {
    const payload = { anchor_kind: anchorKind, anchor: anchorKind === 'proposal' ? '' : anchor, body };
    return this.api.json<Thread>(`${this.base}/threads`, { method: 'POST', body: JSON.stringify(payload) });
  }

  reply(threadId: string, body: string): Promise<Thread> {
    return this.api.json<Thread>(`${this.base}/threads/${encodeURIComponent(threadId)}/comments`, { method: 'POST', body: JSON.stringify({ body }) });
  }

  setResolved(threadId: string, resolved: boolean): Promise<Thread> {
    return this.api.json<Thread>(`${this.base}/threads/${encodeURIComponent(threadId)}`, { method: 'PATCH', body: JSON.stringify({ resolved }) });
  }
}

export class ApprovalRulesApi {
  constructor(private readonly api: ApiClient) {}

  async list(): Promise<ApprovalRule[]> {
    return (await this.api.json<{ items: ApprovalRule[] }>('/api/approval-rules')).items;
  }

  create(body: ApprovalRuleBody): Promise<ApprovalRule> {
    return this.api.json<ApprovalRule>('/api/approval-rules', { method: 'POST', body: JSON.stringify(body) });
  }

  replace(id: string, body: ApprovalRuleBody): Promise<ApprovalRule> {
    return this.api.json<ApprovalRule>(`/api/approval-rules/${encodeURIComponent(id)}`, { method: 'PUT', body: JSON.stringify(body) });
  }

  async remove(id: string): Promise<void> {
    await this.api.raw(`/api/approval-rules/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }
}

/** A button of the review panel: the move, its words, and whether it asks for a reason (required or optional). */
export interface ReviewAction {
  to: TransitionTarget;
  label: MessageKey;
  reason: 'none' | 'optional' | 'required';
  /** An approval over open threads: a manager overrides them, with a reason. */
  override: boolean;
}

/** The moves the panel offers, from the gateway's `next_states` (the caller's role decides them; guards aside). */
export function reviewActions(review: Pick<Review, 'state' | 'next_states' | 'open_threads'>): ReviewAction[] {
  const actions: ReviewAction[] = [];
  for (const target of review.next_states) {
    if (target === 'in_review') actions.push({ to: 'in_review', label: 'review.action.submit', reason: 'optional', override: false });
    else if (target === 'draft')
      actions.push({ to: 'draft', label: review.state === 'approved' ? 'review.action.reopen' : 'review.action.requestChanges', reason: 'optional', override: false });
    else if (target === 'approved') {
      const blocked = review.open_threads > 0;
      actions.push({ to: 'approved', label: blocked ? 'review.action.approveOverride' : 'review.action.approve', reason: blocked ? 'required' : 'optional', override: blocked });
    } else if (target === 'withdrawn') actions.push({ to: 'withdrawn', label: 'review.action.withdraw', reason: 'optional', override: false });
  }
  return actions;
}

/** The key of a thread's place: `section:scope`, `requirement:REQ-…`, `proposal:`. */
export function anchorKey(kind: AnchorKind, anchor: string): string {
  return `${kind}:${kind === 'proposal' ? '' : anchor}`;
}

/** Threads grouped by their place, each group oldest first (open ones before resolved ones). */
export function threadsByAnchor(threads: readonly Thread[]): Map<string, Thread[]> {
  const groups = new Map<string, Thread[]>();
  for (const thread of threads) {
    const key = anchorKey(thread.anchor_kind, thread.anchor);
    groups.set(key, [...(groups.get(key) ?? []), thread]);
  }
  for (const [key, group] of groups) groups.set(key, [...group].sort((a, b) => Number(a.resolved) - Number(b.resolved)));
  return groups;
}

const EMAIL_MENTION = /(?<![\w.@])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)/g;
const NAME_MENTION = /(?<![\w.@])@\[([^\]\u0000]{1,200})\]/g;

/** The people a comment @mentions, as the gateway reads them: `@e-mail` and `@[Display Name]`, without repeats. */
export function mentionsIn(body: string): string[] {
  const emails = [...body.matchAll(EMAIL_MENTION)].map((match) => (match[1] ?? '').toLowerCase());
  const names = [...body.matchAll(NAME_MENTION)].map((match) => (match[1] ?? '').trim()).filter(Boolean);
  return [...new Set([...emails, ...names])];
}

/** The message of a refused review call, by the problem's stable `code` (null: the generic wording). */
export function reviewErrorKey(code: unknown): MessageKey | null {
  const keys: Record<string, MessageKey> = {
    review_open_threads: 'review.error.openThreads',
    review_override_needs_reason: 'review.error.overrideReason',
    review_transition_not_allowed: 'review.error.notAllowed',
    review_already_in_state: 'review.error.notAllowed',
    review_approval_required: 'review.error.approvalRequired',
    review_stale_version: 'review.error.staleVersion',
    not_a_collaborator: 'review.error.notCollaborator',
    role_required: 'review.error.role',
    mention_unknown: 'review.error.mention',
  };
  return typeof code === 'string' ? (keys[code] ?? null) : null;
}

/** The form of an approval rule as typed; `problems` names the fields to fix (message keys). */
export interface RuleForm {
  name: string;
  kind: RuleKind;
  threshold: string;
  currency: string;
  value: string;
  enabled: boolean;
}

export const EMPTY_RULE: RuleForm = { name: '', kind: 'discount_above', threshold: '', currency: '', value: '', enabled: true };

export function usesThreshold(kind: RuleKind): boolean {
  return kind === 'discount_above' || kind === 'total_above';
}

/** The body of a rule from its form, or the fields to fix (field → message key). */
export function ruleBody(form: RuleForm): { body: ApprovalRuleBody } | { problems: Partial<Record<keyof RuleForm, MessageKey>> } {
  const problems: Partial<Record<keyof RuleForm, MessageKey>> = {};
  if (!form.name.trim()) problems.name = 'rules.error.name';
  const numeric = usesThreshold(form.kind);
  const threshold = form.threshold.trim().replace(',', '.');
  if (numeric) {
    if (!/^\d+(\.\d{1,2})?$/.test(threshold)) problems.threshold = 'rules.error.threshold';
    else if (form.kind === 'discount_above' && Number(threshold) > 100) problems.threshold = 'rules.error.percent';
  } else if (!form.value.trim()) problems.value = 'rules.error.value';
  const currency = form.currency.trim().toUpperCase();
  if (form.kind === 'total_above' && currency && !/^[A-Z]{3}$/.test(currency)) problems.currency = 'rules.error.currency';
  if (Object.keys(problems).length > 0) return { problems };
  return {
    body: {
      name: form.name.trim(),
      kind: form.kind,
      threshold: numeric ? threshold : null,
      currency: form.kind === 'total_above' && currency ? currency : null,
      value: numeric ? null : form.value.trim(),
      enabled: form.enabled,
    },
  };
}

/** The form of a stored rule, to edit it. */
export function ruleForm(rule: ApprovalRule): RuleForm {
  return { name: rule.name, kind: rule.kind, threshold: rule.threshold ?? '', currency: rule.currency ?? '', value: rule.value ?? '', enabled: rule.enabled };
}
