'use client';
/** Small shared pieces: status badge, alerts, loading and empty states, field wrapper, focus after a render. */
import { useCallback, useEffect, useRef, type ReactNode } from 'react';
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

/**
 * Returns `focusLater(id)`: the element with that id gets the focus once it is on screen, after the render that shows
 * it (a form that opens, a confirmation, a message), so keyboard and screen-reader users land where the page changed.
 */
export function useFocusLater(): (id: string) => void {
  const next = useRef<string | null>(null);
  useEffect(() => {
    const target = next.current && document.getElementById(next.current);
    if (target) {
      target.focus();
      next.current = null;
    }
  });
  return useCallback((id: string) => {
    next.current = id;
  }, []);
}
