'use client';
/** A secret the gateway shows once (a new API token, a webhook's signing secret): the warning, the value to copy, and
 * a button that dismisses the box, which forgets the secret. */
import { useState } from 'react';
import { useApp } from '@/lib/app-context';

export interface SecretShownOnceProps {
  /** Prefix of the ids: `<id>-title` (focused when the box opens), `<id>` (the input), `<id>-warning`. */
  id: string;
  testId: string;
  title: string;
  warning: string;
  label: string;
  secret: string;
  copied: string;
  copyFailed: string;
  dismiss: string;
  onDismiss: () => void;
}

export function SecretShownOnce({ id, testId, title, warning, label, secret, copied, copyFailed, dismiss, onDismiss }: SecretShownOnceProps) {
  const { t } = useApp();
  const [copy, setCopy] = useState<'copied' | 'failed' | null>(null);

  async function copySecret() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopy('copied');
    } catch {
      // No clipboard (an insecure origin, or permission refused): select the text for the person to copy.
      const input = document.getElementById(id) as HTMLInputElement | null;
      input?.focus();
      input?.select();
      setCopy('failed');
    }
  }

  return (
    <section className="card secret-box" aria-labelledby={`${id}-title`} data-testid={testId}>
      <h2 id={`${id}-title`} tabIndex={-1}>
        {title}
      </h2>
      <p className="secret-warning" id={`${id}-warning`}>
        <strong>{warning}</strong>
      </p>
      <label htmlFor={id} className="secret-label">
        {label}
      </label>
      <div className="secret-row">
        <input
          id={id}
          className="code"
          readOnly
          value={secret}
          spellCheck={false}
          autoComplete="off"
          onFocus={(event) => event.target.select()}
          aria-describedby={`${id}-warning`}
        />
        <button type="button" onClick={() => void copySecret()}>
          {t('secret.copy')}
        </button>
      </div>
      <p role="status" className="small copy-status">
        {copy === 'copied' ? copied : copy === 'failed' ? copyFailed : ''}
      </p>
      <button type="button" className="button-secondary" onClick={onDismiss}>
        {dismiss}
      </button>
    </section>
  );
}
