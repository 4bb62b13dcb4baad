'use client';
/** Sending a proposal to its client: the Send dialog (expiry, optional access code), the link shown once with a copy
 * button, the links with their views (revocable), and the client's answer with the final PDF. */
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import type { MessageKey } from '@/lib/messages';
import type { SentLink, ShareLinkList } from '@/lib/share';
import type { Proposal } from '@/lib/types';
import { Alert, Field } from './ui';

function duration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return minutes ? `${minutes} min ${rest} s` : `${rest} s`;
}

export function SharePanel({ proposal, onSent }: { proposal: Proposal; onSent?: () => void }) {
  const { api, t, formatDate, describeError } = useApp();
  const [list, setList] = useState<ShareLinkList | null>(null);
  const [sent, setSent] = useState<SentLink | null>(null);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const base = `/api/proposals/${encodeURIComponent(proposal.id)}`;

  const load = useCallback(async () => {
    try {
      setList(await api.json<ShareLinkList>(`${base}/share-links`));
    } catch {
      setList(null);
    }
  }, [api, base]);

  useEffect(() => {
    void load();
  }, [load]);

  const wordError = (error: unknown): string => {
    const code = error instanceof ApiError ? (error.problem['code'] as string | undefined) : undefined;
    const key = code ? (`share.error.${code}` as MessageKey) : null;
    const worded = key ? t(key) : null;
    return worded && worded !== key ? worded : describeError(error);
  };

  async function revoke(linkId: string) {
    setNotice(null);
    try {
      await api.raw(`${base}/share-links/${encodeURIComponent(linkId)}`, { method: 'DELETE' });
      setNotice({ kind: 'success', text: t('share.revoked') });
      await load();
    } catch (error) {
      setNotice({ kind: 'error', text: wordError(error) });
    }
  }

  async function downloadFinal() {
    try {
      const blob = await api.blob(`${base}/final-pdf`, 'application/pdf');
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `${proposal.client_name}-v${list?.answer?.version ?? proposal.version}-final.pdf`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      setNotice({ kind: 'error', text: wordError(error) });
    }
  }

  async function remakeFinal() {
    setNotice(null);
    try {
      await api.json(`${base}/final-pdf`, { method: 'POST' });
      await load();
    } catch (error) {
      setNotice({ kind: 'error', text: wordError(error) });
    }
  }

  const links = list?.links ?? [];
  const answer = list?.answer ?? null;
  return (
    <section className="card share-panel" aria-labelledby="share-title">
      <h2 id="share-title">{t('share.title')}</h2>
      <p className="small muted">{t('share.intro')}</p>
      {!answer && (
        <button type="button" onClick={() => dialog.current?.showModal()} disabled={!proposal.pdf_version}>
          {links.length ? t('share.again') : t('share.open')}
        </button>
      )}
      <SendDialog
        dialogRef={dialog}
        version={proposal.version}
        base={base}
        wordError={wordError}
        onSent={(made) => {
          setSent(made);
          void load();
          onSent?.();
        }}
      />
      {sent && <NewLink sent={sent} onClose={() => setSent(null)} />}
      {notice && <Alert kind={notice.kind}>{notice.text}</Alert>}
      {answer && (
        <div className={`alert ${answer.decision === 'accepted' ? 'alert-success' : 'alert-info'}`} data-testid="share-answer">
          <p className="alert-title">{t('share.answer')}</p>
          <p>{t(answer.decision === 'accepted' ? 'share.accepted' : 'share.declined', { name: answer.name, email: answer.email, date: formatDate(answer.answered_at) })}</p>
          {answer.role && <p className="small">{t('share.answerRole', { role: answer.role })}</p>}
          {answer.note && <p className="small">{t('share.answerNote', { note: answer.note })}</p>}
          {answer.reason && <p className="small">{t('share.answerReason', { reason: answer.reason })}</p>}
          {answer.address && <p className="small">{t('share.answerAddress', { address: answer.address })}</p>}
          {answer.final_pdf_available && (
            <>
              <p className="small">{answer.signature_level ? t('share.signed', { level: answer.signature_level }) : t('share.unsigned')}</p>
              <button type="button" onClick={() => void downloadFinal()}>
                {t('share.finalPdf')}
              </button>
            </>
          )}
          {answer.final_pdf_problem && (
            <>
              <p className="small">{t('share.finalProblem', { problem: answer.final_pdf_problem })}</p>
              <button type="button" onClick={() => void remakeFinal()}>
                {t('share.remake')}
              </button>
            </>
          )}
        </div>
      )}
      <h3>{t('share.links')}</h3>
      {links.length === 0 ? (
        <p className="muted small">{t('share.noLinks')}</p>
      ) : (
        <ul className="share-links">
          {links.map((link) => (
            <li key={link.id} className="share-link">
              <p className="row">
                <strong>v{link.version}</strong>
                <span className={`badge ${link.state === 'active' ? 'badge-ready' : 'badge-queued'}`}>{t(`share.state.${link.state}` as MessageKey)}</span>
                {link.has_access_code && <span className="badge badge-info">{t('share.withCode')}</span>}
              </p>
              <dl className="share-facts small">
                <dt>{t('share.created')}</dt>
                <dd>{formatDate(link.created_at)}</dd>
                <dt>{t('share.expires')}</dt>
                <dd>{formatDate(link.expires_at)}</dd>
                <dt>{t('share.opens')}</dt>
                <dd>{link.views.opens}</dd>
                <dt>{t('share.firstOpened')}</dt>
                <dd>{link.views.first_opened_at ? formatDate(link.views.first_opened_at) : t('share.never')}</dd>
                <dt>{t('share.timeOnPage')}</dt>
                <dd>{duration(link.views.seconds_on_page)}</dd>
                <dt>{t('share.downloads')}</dt>
                <dd>{link.views.downloads}</dd>
              </dl>
              {link.state === 'active' && (
                <button type="button" className="button-secondary" aria-label={t('share.revokeLabel', { date: formatDate(link.created_at) })} onClick={() => void revoke(link.id)}>
                  {t('share.revoke')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function SendDialog({
  dialogRef,
  version,
  base,
  wordError,
  onSent,
}: {
  dialogRef: React.RefObject<HTMLDialogElement>;
  version: number;
  base: string;
  wordError: (error: unknown) => string;
  onSent: (sent: SentLink) => void;
}) {
  const { api, t } = useApp();
  const [days, setDays] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const body: Record<string, unknown> = {};
    if (days.trim()) body['expires_in_days'] = Number(days);
    if (code.trim()) body['access_code'] = code.trim();
    try {
      const made = await api.json<SentLink>(`${base}/send`, { method: 'POST', body: JSON.stringify(body) });
      dialogRef.current?.close();
      setDays('');
      setCode('');
      onSent(made);
    } catch (failure) {
      setError(wordError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog ref={dialogRef} className="share-dialog" aria-labelledby="send-dialog-title">
      <form onSubmit={submit}>
        <h2 id="send-dialog-title">{t('share.dialogTitle', { version })}</h2>
        <Field id="share-days" label={t('share.expiry')} hint={t('share.expiryHint')} optional>
          <input id="share-days" type="number" min={1} max={365} inputMode="numeric" value={days} onChange={(event) => setDays(event.target.value)} aria-describedby="share-days-hint" />
        </Field>
        <Field id="share-code" label={t('share.code')} hint={t('share.codeHint')} optional>
          <input id="share-code" value={code} minLength={4} maxLength={64} autoComplete="off" onChange={(event) => setCode(event.target.value)} aria-describedby="share-code-hint" />
        </Field>
        {error && <Alert kind="error">{error}</Alert>}
        <div className="row">
          <button type="submit" disabled={busy}>
            {busy ? t('share.sending') : t('share.submit')}
          </button>
          <button type="button" className="button-secondary" onClick={() => dialogRef.current?.close()}>
            {t('share.cancel')}
          </button>
        </div>
      </form>
    </dialog>
  );
}

function NewLink({ sent, onClose }: { sent: SentLink; onClose: () => void }) {
  const { t } = useApp();
  const [status, setStatus] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  async function copy() {
    try {
      await navigator.clipboard.writeText(sent.url);
      setStatus(t('share.copied'));
    } catch {
      setStatus(t('share.copyFailed'));
    }
  }
  return (
    <section className="card secret-box" aria-labelledby="share-link-title" data-testid="new-share-link">
      <h3 id="share-link-title" tabIndex={-1} ref={heading}>
        {t('share.createdTitle')}
      </h3>
      <p className="secret-warning" id="share-link-warning">
        <strong>{t('share.createdWarning')}</strong>
      </p>
      <label htmlFor="share-link-url" className="secret-label">
        {t('share.link')}
      </label>
      <div className="secret-row">
        <input id="share-link-url" className="code" readOnly value={sent.url} spellCheck={false} autoComplete="off" onFocus={(event) => event.target.select()} aria-describedby="share-link-warning" />
        <button type="button" onClick={() => void copy()}>
          {t('share.copy')}
        </button>
      </div>
      <p role="status" className="small copy-status">
        {status}
      </p>
      <button type="button" className="button-secondary" onClick={onClose}>
        {t('share.done')}
      </button>
    </section>
  );
}
