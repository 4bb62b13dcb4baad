/** The audit view's filters, as the form holds them, and the query `GET /api/audit` takes. */

export interface AuditFilters {
  action: string;
  /** The acting user's id (a UUID). */
  actor: string;
  objectType: string;
  objectId: string;
  /** `<input type="datetime-local">` values (local time, no zone); empty: no bound. */
  since: string;
  until: string;
}

export const NO_FILTERS: AuditFilters = { action: '', actor: '', objectType: '', objectId: '', since: '', until: '' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What is wrong with the filters, by field (empty: nothing), so the gateway is not asked a question it refuses. */
export function auditFilterErrors(filters: AuditFilters): Partial<Record<keyof AuditFilters, 'uuid' | 'date' | 'order'>> {
  const errors: Partial<Record<keyof AuditFilters, 'uuid' | 'date' | 'order'>> = {};
  if (filters.actor.trim() && !UUID.test(filters.actor.trim())) errors.actor = 'uuid';
  const since = localToIso(filters.since);
  const until = localToIso(filters.until);
  if (filters.since && since === null) errors.since = 'date';
  if (filters.until && until === null) errors.until = 'date';
  if (since && until && since >= until) errors.until = 'order';
  return errors;
}

/** A datetime-local value as an ISO instant (the browser's time zone), or null when it is not a date. */
export function localToIso(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The query of one page: the filters that are set, `before` (the page after) and `limit`. */
export function auditQuery(filters: AuditFilters, before?: number | null, limit = 50): URLSearchParams {
  const params = new URLSearchParams();
  const put = (name: string, value: string | null) => {
    if (value && value.trim()) params.set(name, value.trim());
  };
  put('action', filters.action);
  put('actor', filters.actor);
  put('object_type', filters.objectType);
  put('object_id', filters.objectId);
  put('since', localToIso(filters.since));
  put('until', localToIso(filters.until));
  if (before) params.set('before', String(before));
  params.set('limit', String(limit));
  return params;
}

/** The details of a record in one line ("role: admin · emailed: true"), values cut to keep the table readable. */
export function detailsLine(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([key, value]) => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return `${key}: ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`;
    })
    .join(' · ');
}
