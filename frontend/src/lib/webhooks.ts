/** What the webhooks page says of an endpoint and of a delivery, kept apart from the components to be tested. */
import type { WebhookDelivery, WebhookEndpoint, WebhookTry } from './types';

export const WEBHOOK_EVENT_TYPES = [
  'proposal.accepted',
  'proposal.drafted',
  'proposal.ready',
  'proposal.failed',
  'proposal.review.draft',
  'proposal.review.in_review',
  'proposal.review.approved',
  'proposal.review.sent',
  'proposal.review.viewed',
  'proposal.review.accepted',
  'proposal.review.declined',
  'proposal.review.expired',
  'proposal.review.withdrawn',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** `disabled`: turned off after failing (the admin must look); `off`: turned off by hand; `failing`: on, but its last tries failed. */
export type EndpointState = 'active' | 'failing' | 'disabled' | 'off';

export function endpointState(endpoint: Pick<WebhookEndpoint, 'enabled' | 'disabled_reason' | 'consecutive_failures'>): EndpointState {
  if (!endpoint.enabled) return endpoint.disabled_reason ? 'disabled' : 'off';
  return endpoint.consecutive_failures > 0 ? 'failing' : 'active';
}

/** The latest try of a delivery, if it was tried. */
export function lastTry(delivery: Pick<WebhookDelivery, 'tries'>): WebhookTry | null {
  return delivery.tries.at(-1) ?? null;
}

/** A try in a few words: the response code, or what went wrong, and how long it took. */
export function describeTry(attempt: WebhookTry): string {
  const what = attempt.status_code !== null && attempt.status_code !== undefined ? `HTTP ${attempt.status_code}` : attempt.outcome;
  return `${what} · ${attempt.latency_ms} ms`;
}
