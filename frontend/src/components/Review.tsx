'use client';
/**
 * Review of a proposal (issue #19): the review state's badge, the moves the caller may make (submit, request changes,
 * approve — with a reason over open threads —, withdraw), the approval rules it matches, its history, and comment
 * threads per section and on the whole proposal.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import {
  anchorKey,
  mentionsIn,
  ReviewApi,
  reviewActions,
  reviewErrorKey,
  threadsByAnchor,
  type AnchorKind,
  type Review,
  type ReviewAction,
  type ReviewState,
  type Thread,
} from '@/lib/review';
import { Alert, describedBy, Field } from './ui';

export interface ReviewData {
  review: Review | null;
  threads: Thread[];
  error: string | null;
  client: ReviewApi;
  reload: () => Promise<void>;
}

/** The proposal's review and threads, loaded again when `changed` changes (a new version, a new status). */
export function useReview(proposalId: string, changed: string): ReviewData {
  const { api, describeError } = useApp();
  const client = useMemo(() => new ReviewApi(api, proposalId), [api, proposalId]);
  const [review, setReview] = useState<Review | null>(null);
  const [threads, setThreads] = useState<Thread[]>([]);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      const [loaded, list] = await Promise.all([client.review(), client.threads()]);
      setReview(loaded);
      setThreads(list.items);
      setError(null);
    } catch (caught) {
      setError(describeError(caught));
    }
  }, [client, describeError]);
  useEffect(() => {
    void reload();
  }, [reload, changed]);
  return { review, threads, error, client, reload };
}

export function ReviewBadge({ state }: { state: ReviewState }) {
  const { t } = useApp();
  return (
    <span className={`badge badge-review badge-review-${state}`} data-review-state={state} title={t('review.stateLabel', { state: t(`review.state.${state}`) })}>
      {t(`review.state.${state}`)}
    </span>
  );
}

/** The problem's words: by its stable code when review knows it, else the generic wording. */
function useProblemText(): (caught: unknown) => string {
  const { t, describeError } = useApp();
  return (caught) => {
    const key = caught instanceof ApiError ? reviewErrorKey(caught.problem.code) : null;
    return key ? t(key) : describeError(caught);
  };
}

export function ReviewPanel({ data, onChanged }: { data: ReviewData; onChanged: () => Promise<void> | void }) {
  const { t, formatDate, formatMoney, formatNumber } = useApp();
  const problemText = useProblemText();
  const { review, client } = data;
  const [pending, setPending] = useState<ReviewAction | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [reasonError, setReasonError] = useState<string | undefined>();

  if (!review) return data.error ? <Alert>{data.error}</Alert> : null;

  function ruleReason(rule: Review['approval_rules'][number]): string {
    const money = (amount: string) => (rule.currency ? formatMoney(amount, rule.currency) : formatNumber(amount));
    if (rule.kind === 'discount_above') return t('review.rule.discount_above', { actual: formatNumber(rule.actual ?? '0'), threshold: formatNumber(rule.threshold ?? '0') });
    if (rule.kind === 'total_above') return t('review.rule.total_above', { actual: money(rule.actual ?? '0'), threshold: money(rule.threshold ?? '0') });
    return t(`review.rule.${rule.kind}`, { value: rule.value ?? '' });
  }
  const actions = reviewActions(review);

  async function confirm(event: FormEvent) {
    event.preventDefault();
    if (!pending) return;
    if (pending.reason === 'required' && !reason.trim()) {
      setReasonError(t('review.error.overrideReason'));
      return;
    }
    setBusy(true);
    setNotice(null);
    try {
      const moved = await client.transition(pending.to, reason, pending.override);
      setNotice({ kind: 'success', text: t('review.done', { state: t(`review.state.${moved.state}`) }) });
      setPending(null);
      setReason('');
      await data.reload();
      await onChanged();
    } catch (caught) {
      setNotice({ kind: 'error', text: problemText(caught) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card review" aria-labelledby="review-title" data-testid="review-panel">
      <h2 id="review-title">
        {t('review.title')} <ReviewBadge state={review.state} />
      </h2>
      {notice && <Alert kind={notice.kind}>{notice.text}</Alert>}
      {review.approved_version != null && <p className="muted">{t('review.approvedVersion', { version: review.approved_version })}</p>}
      {review.approval_required ? (
        <div className="review-rules" data-testid="approval-required">
          <p>{t('review.approvalRequired')}</p>
          <ul>
            {review.approval_rules.map((rule) => (
              <li key={rule.rule_id}>
                <strong>{rule.name}</strong>: {ruleReason(rule)}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <p className="muted">{t('review.noApprovalRequired')}</p>
      )}
      <p className="muted" data-testid="open-threads">
        {review.open_threads > 0 ? t('review.openThreads', { count: review.open_threads }) : t('review.noOpenThreads')}
      </p>
      {pending ? (
        <form onSubmit={confirm} className="review-confirm">
          <Field id="review-reason" label={pending.reason === 'required' ? t('review.reasonRequired') : t('review.reasonOptional')} error={reasonError}>
            <textarea
                id="review-reason"
                aria-describedby={describedBy('review-reason', false, reasonError)}
                value={reason}
                rows={3}
                maxLength={2000}
                aria-required={pending.reason === 'required'}
                onChange={(event) => {
                  setReason(event.target.value);
                  setReasonError(undefined);
                }}
              />
          </Field>
          <div className="form-actions">
            <button type="submit" disabled={busy}>
              {t(pending.label)}
            </button>
            <button type="button" className="button-secondary" onClick={() => setPending(null)}>
              {t('review.cancel')}
            </button>
          </div>
        </form>
      ) : (
        actions.length > 0 && (
          <div className="review-actions">
            {actions.map((action) => (
              <button
                key={action.to}
                type="button"
                className={action.to === 'withdrawn' ? 'button-secondary' : undefined}
                onClick={() => {
                  setPending(action);
                  setReason('');
                  setReasonError(undefined);
                  setNotice(null);
                }}
              >
                {t(action.label)}
              </button>
            ))}
          </div>
        )
      )}
      <details className="review-history">
        <summary>{t('review.history')}</summary>
        {review.transitions.length === 0 ? (
          <p className="muted">{t('review.historyEmpty')}</p>
        ) : (
          <ol>
            {[...review.transitions].reverse().map((move) => (
              <li key={move.id}>
                <time dateTime={move.at}>{formatDate(move.at)}</time>{' '}
                {t('review.historyItem', { from: t(`review.state.${move.from_state}`), to: t(`review.state.${move.to_state}`), actor: move.actor, version: move.version })}
                {move.override && <span className="badge badge-info">{t('review.override')}</span>}
                {move.reason && <q className="muted">{move.reason}</q>}
              </li>
            ))}
          </ol>
        )}
      </details>
      <Threads data={data} kind="proposal" anchor="" title={t('threads.proposal')} />
    </section>
  );
}

/** The threads of one place (a section, a requirement, the proposal), and a form to open one more. */
export function Threads({ data, kind, anchor, title }: { data: ReviewData; kind: AnchorKind; anchor: string; title: string }) {
  const { t, principal } = useApp();
  const problemText = useProblemText();
  const threads = threadsByAnchor(data.threads).get(anchorKey(kind, anchor)) ?? [];
  const [body, setBody] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const mayWrite = principal != null && principal.role !== 'viewer';
  const open = threads.filter((thread) => !thread.resolved).length;
  const formId = `thread-new-${kind}-${anchor || 'proposal'}`;
  // Opened by itself once when it has open threads; after that only the reader opens or closes it (resolving the
  // last thread must not fold it away under their eyes).
  const [expanded, setExpanded] = useState(false);
  const openedByItself = useRef(false);
  useEffect(() => {
    if (open > 0 && !openedByItself.current) {
      openedByItself.current = true;
      setExpanded(true);
    }
  }, [open]);

  async function post(event: FormEvent) {
    event.preventDefault();
    if (!body.trim()) {
      setError(t('threads.empty'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await data.client.openThread(kind, anchor, body.trim());
      setBody('');
      await data.reload();
    } catch (caught) {
      setError(problemText(caught));
    } finally {
      setBusy(false);
    }
  }

  const mentions = mentionsIn(body);
  return (
    <details className="threads" open={expanded} onToggle={(event) => setExpanded(event.currentTarget.open)} data-testid={`threads-${kind}-${anchor || 'proposal'}`}>
      <summary>
        {title} <span className="muted">({threads.length === 0 ? t('threads.none') : t('threads.count', { open, total: threads.length })})</span>
      </summary>
      {threads.map((thread) => (
        <ThreadItem key={thread.id} thread={thread} data={data} mayWrite={mayWrite} />
      ))}
      {mayWrite && (
        <form onSubmit={post} className="thread-new" aria-label={`${t('threads.new')}: ${title}`}>
          <Field label={t('threads.newLabel')} hint={t('threads.hint')} error={error ?? undefined} id={formId}>
            <textarea id={formId} aria-describedby={describedBy(formId, true, error ?? undefined)} value={body} rows={2} maxLength={10000} onChange={(event) => setBody(event.target.value)} />
          </Field>
          {mentions.length > 0 && <p className="muted">{t('threads.mentions', { names: mentions.join(', ') })}</p>}
          <button type="submit" disabled={busy}>
            {t('threads.post')}
          </button>
        </form>
      )}
    </details>
  );
}

function ThreadItem({ thread, data, mayWrite }: { thread: Thread; data: ReviewData; mayWrite: boolean }) {
  const { t, formatDate } = useApp();
  const problemText = useProblemText();
  const [reply, setReply] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function act(action: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      await data.reload();
      return true;
    } catch (caught) {
      setError(problemText(caught));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function send(event: FormEvent) {
    event.preventDefault();
    if (!reply.trim()) {
      setError(t('threads.empty'));
      return;
    }
    if (await act(() => data.client.reply(thread.id, reply.trim()))) setReply('');
  }

  return (
    <div className={`thread ${thread.resolved ? 'thread-resolved' : 'thread-open'}`} data-thread={thread.id} data-resolved={thread.resolved}>
      <p className="thread-state">
        <span className={`badge ${thread.resolved ? 'badge-ready' : 'badge-info'}`}>{thread.resolved ? t('threads.resolved') : t('threads.open')}</span>{' '}
        <span className="muted">{t('threads.onVersion', { version: thread.version })}</span>
      </p>
      <ol className="comments">
        {thread.comments.map((comment) => (
          <li key={comment.id}>
            <strong>{comment.author}</strong> <time className="muted" dateTime={comment.created_at}>{formatDate(comment.created_at)}</time>
            <p className="comment-body">{comment.body}</p>
            {comment.mentions.length > 0 && (
              <p className="muted">{t('threads.mentions', { names: comment.mentions.map((mention) => mention.display_name ?? mention.user_id).join(', ') })}</p>
            )}
          </li>
        ))}
      </ol>
      {error && <Alert>{error}</Alert>}
      {mayWrite && (
        <div className="thread-actions">
          <form onSubmit={send} className="thread-reply">
            <Field label={t('threads.replyLabel')} id={`reply-${thread.id}`}>
              <textarea id={`reply-${thread.id}`} value={reply} rows={1} maxLength={10000} onChange={(event) => setReply(event.target.value)} />
            </Field>
            <button type="submit" className="button-secondary" disabled={busy}>
              {t('threads.reply')}
            </button>
          </form>
          <button type="button" className="button-secondary" disabled={busy} onClick={() => void act(() => data.client.setResolved(thread.id, !thread.resolved))}>
            {thread.resolved ? t('threads.reopen') : t('threads.resolve')}
          </button>
        </div>
      )}
    </div>
  );
}
