'use client';
/** Small shared pieces: status badge, alerts, loading and empty states, field wrapper. */
import type { ReactNode } from 'react';
import { useApp } from '@/lib/app-context';
import type { ProposalStatus } from '@/lib/types';

export function StatusBadge({ status }: { status: ProposalStatus }) {
  const { t } = useApp();
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      {t(`status.${status}`)}
    </span>
  );
}

/** A message box; `id` and `focusable` let a page move focus to it after an action. */
export function Alert({
  kind = 'error',
  title,
  children,
  action,
  id,
  focusable,
}: {
  kind?: 'error' | 'info' | 'success' | 'warning';
  title?: string;
  children?: ReactNode;
  action?: ReactNode;
  id?: string;
  focusable?: boolean;
}) {
  return (
    <div className={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'} id={id} tabIndex={focusable ? -1 : undefined}>
      {title && <p className="alert-title">{title}</p>}
      {children && <div>{children}</div>}
      {action && <div className="alert-action">{action}</div>}
    </div>
  );
}

export function Loading({ label }: { label?: string }) {
  const { t } = useApp();
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label ?? t('common.loading')}
    </p>
  );
}

export function NotAvailable({ what }: { what: string }) {
  const { t } = useApp();
  return (
    <Alert kind="info" title={t('common.notAvailable')}>
      {t('common.notAvailableDetail', { what })}
    </Alert>
  );
}

export function Field({ id, label, error, hint, optional, children }: { id: string; label: string; error?: string; hint?: string; optional?: boolean; children: ReactNode }) {
  const { t } = useApp();
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>
        {label}
        {optional && <span className="optional"> ({t('common.optional')})</span>}
      </label>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {children}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** aria-describedby for a field with optional hint and error. */
export function describedBy(id: string, hint?: boolean, error?: string): string | undefined {
  const ids = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}
