'use client';
/** The client's page of a sent proposal (no account): the token comes after '#' in the link, so it reaches neither
 * the web server's logs nor other sites' Referer. Branded with the consultancy's colours, in the proposal's language;
 * PDF download, Accept / Decline, the privacy note, and a beacon of the time the page is visible. */
import { useCallback, useEffect, useRef, useState, type CSSProperties, type FormEvent } from 'react';
import { useApp } from '@/lib/app-context';
import {
  browserLanguage,
  fill,
  money,
  ShareClient,
  ShareError,
  shareErrorText,
  shareWords,
  textColourOn,
  type ShareAnswer,
  type SharedProposal,
  type ShareWords,
} from '@/lib/share';
import { Markdown } from './Markdown';

const BEACON_SECONDS = 15;

type Loaded =
  | { kind: 'loading' }
  | { kind: 'code'; error: string | null }
  | { kind: 'failed'; message: string }
  | { kind: 'ready'; proposal: SharedProposal };

function date(value: string, language: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'long', timeStyle: 'short' }).format(new Date(value));
}

function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Counts the seconds the page is visible and reports the total every BEACON_SECONDS and when it is hidden. */
function useTimeOnPage(client: ShareClient | null, visitId: string | null): void {
  useEffect(() => {
    if (!client || !visitId) return undefined;
    let seconds = 0;
    let since = document.visibilityState === 'visible' ? Date.now() : null;
    const total = () => seconds + (since === null ? 0 : (Date.now() - since) / 1000);
    const report = () => client.beacon(visitId, total());
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') {
        if (since !== null) seconds += (Date.now() - since) / 1000;
        since = null;
        report();
      } else if (since === null) {
        since = Date.now();
      }
    };
    const timer = window.setInterval(() => {
      if (since !== null) report();
    }, BEACON_SECONDS * 1000);
    document.addEventListener('visibilitychange', onVisibility);
    window.addEventListener('pagehide', report);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisibility);
      window.removeEventListener('pagehide', report);
    };
  }, [client, visitId]);
}

export function SharePage() {
  const { apiUrl } = useApp();
  const [client, setClient] = useState<ShareClient | null>(null);
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  const [fallbackLanguage, setFallbackLanguage] = useState<'pt-BR' | 'en'>('pt-BR');

  const load = useCallback(async (next: ShareClient) => {
    try {
      const proposal = await next.open();
      setClient(next);
      setLoaded({ kind: 'ready', proposal });
    } catch (error) {
      const words = shareWords(browserLanguage());
      if (error instanceof ShareError && (error.code === 'access_code_required' || error.code === 'access_code_wrong' || error.code === 'access_code_throttled')) {
        setClient(next);
        setLoaded({ kind: 'code', error: error.code === 'access_code_required' ? null : shareErrorText(error, words) });
      } else {
        setLoaded({ kind: 'failed', message: shareErrorText(error, words) });
      }
    }
  }, []);

  useEffect(() => {
    setFallbackLanguage(browserLanguage());
    const token = window.location.hash.replace(/^#/, '');
    if (!token) {
      setLoaded({ kind: 'failed', message: shareWords(browserLanguage()).errors.missingLink });
      return;
    }
    void load(new ShareClient(apiUrl, token));
  }, [apiUrl, load]);

  useTimeOnPage(loaded.kind === 'ready' ? client : null, loaded.kind === 'ready' ? loaded.proposal.visit_id : null);

  if (loaded.kind !== 'ready') {
    const words = shareWords(fallbackLanguage);
    return (
      <main id="main" className="share-page" lang={fallbackLanguage} tabIndex={-1}>
        <div className="share-body">
          {loaded.kind === 'loading' && (
            <p className="loading" role="status">
              <span className="spinner" aria-hidden="true" /> {words.loading}
            </p>
          )}
          {loaded.kind === 'failed' && (
            <div className="alert alert-error" role="alert">
              {loaded.message}
            </div>
          )}
          {loaded.kind === 'code' && client && (
            <AccessCodeForm words={words} error={loaded.error} onSubmit={(code) => load(client.withCode(code))} />
          )}
        </div>
      </main>
    );
  }
  return <SharedProposalView client={client as ShareClient} proposal={loaded.proposal} />;
}

function AccessCodeForm({ words, error, onSubmit }: { words: ShareWords; error: string | null; onSubmit: (code: string) => Promise<void> }) {
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    await onSubmit(code.trim());
    setBusy(false);
  };
  return (
    <form className="card share-code" onSubmit={submit} noValidate>
      <h1>{words.codeTitle}</h1>
      <div className="field">
        <label htmlFor="access-code">{words.codeLabel}</label>
        <p className="hint" id="access-code-hint">
          {words.codeHint}
        </p>
        <input
          id="access-code"
          value={code}
          onChange={(event) => setCode(event.target.value)}
          autoComplete="one-time-code"
          aria-describedby={error ? 'access-code-hint access-code-error' : 'access-code-hint'}
          aria-invalid={error ? true : undefined}
          required
        />
        {error && (
          <p className="field-error" id="access-code-error" role="alert">
            {error}
          </p>
        )}
      </div>
      <button type="submit" disabled={busy || !code.trim()}>
        {words.codeSubmit}
      </button>
    </form>
  );
}

function SharedProposalView({ client, proposal }: { client: ShareClient; proposal: SharedProposal }) {
  const words = shareWords(proposal.language);
  const [answer, setAnswer] = useState<ShareAnswer | null>(proposal.answer);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const brand = proposal.brand;
  const style = brand
    ? ({ '--brand-primary': brand.primary, '--brand-accent': brand.accent, '--brand-text': brand.text, '--brand-on-primary': textColourOn(brand.primary) ?? '#ffffff' } as CSSProperties)
    : undefined;
  const download = async (final: boolean) => {
    setDownloadError(null);
    try {
      const blob = await client.pdf(final);
      saveBlob(blob, `${final ? 'proposta-final' : 'proposta'}-v${proposal.version}.pdf`);
    } catch (error) {
      setDownloadError(shareErrorText(error, words));
    }
  };
  const open = !answer && (proposal.state === 'sent' || proposal.state === 'viewed');
  return (
    <main id="main" className="share-page" lang={proposal.language} style={style} tabIndex={-1}>
      <header className="share-header">
        <div className="share-body">
          {brand && <p className="share-company">{fill(words.from, { company: brand.company_name })}</p>}
          <h1>{fill(words.title, { client: proposal.client_name })}</h1>
          <p className="share-meta">
            {fill(words.version, { version: proposal.version })} · {fill(words.validUntil, { date: date(proposal.expires_at, proposal.language) })}
          </p>
        </div>
      </header>
      <div className="share-body">
        <div className="row share-actions">
          <button type="button" onClick={() => download(false)}>
            {words.download}
          </button>
          {answer?.final_pdf_available && (
            <button type="button" className="button-secondary" onClick={() => download(true)}>
              {words.downloadFinal}
            </button>
          )}
        </div>
        {downloadError && (
          <div className="alert alert-error" role="alert">
            {downloadError}
          </div>
        )}
        <nav aria-label={words.contents} className="card share-toc">
          <h2>{words.contents}</h2>
          <ol>
            {proposal.sections.map((section) => (
              <li key={section.key}>
                <a href={`#section-${section.key}`}>{section.title}</a>
              </li>
            ))}
          </ol>
        </nav>
        {proposal.sections.map((section) => (
          <section key={section.key} id={`section-${section.key}`} className="card share-section" aria-labelledby={`title-${section.key}`}>
            <h2 id={`title-${section.key}`}>{section.title}</h2>
            <Markdown source={section.content} />
            {section.key === 'investment' && proposal.investment && <InvestmentTable proposal={proposal} words={words} />}
          </section>
        ))}
        <section className="card share-answer" aria-labelledby="answer-title">
          <h2 id="answer-title">{words.answerTitle}</h2>
          {answer ? (
            <AnswerSummary answer={answer} language={proposal.language} words={words} />
          ) : proposal.state === 'withdrawn' ? (
            <p>{words.withdrawn}</p>
          ) : proposal.state === 'expired' ? (
            <p>{words.expiredState}</p>
          ) : open ? (
            <>
              {!proposal.signing_configured && <p className="muted">{words.noSigning}</p>}
              <AnswerForms client={client} words={words} onAnswered={setAnswer} />
            </>
          ) : null}
        </section>
        <aside className="card share-privacy" aria-labelledby="privacy-title">
          <h2 id="privacy-title">{words.privacyTitle}</h2>
          <p className="small">{words.privacy}</p>
        </aside>
      </div>
    </main>
  );
}

function InvestmentTable({ proposal, words }: { proposal: SharedProposal; words: ShareWords }) {
  const investment = proposal.investment;
  if (!investment) return null;
  const m = (value: string) => money(value, investment.currency, proposal.language);
  // A region that scrolls sideways on a narrow phone: focusable, so the keyboard can scroll it too.
  return (
    <div className="table-wrap" role="region" aria-label={words.investment} tabIndex={0}>
      <table className="share-investment">
        <caption className="visually-hidden">{words.investment}</caption>
        <thead>
          <tr>
            <th scope="col">{words.description}</th>
            <th scope="col" className="number">
              {words.quantity}
            </th>
            <th scope="col" className="number">
              {words.unitPrice}
            </th>
            <th scope="col" className="number">
              {words.amount}
            </th>
          </tr>
        </thead>
        <tbody>
          {investment.lines.map((line, index) => (
            <tr key={index}>
              <td>{line.description}</td>
              <td className="number">{line.quantity}</td>
              <td className="number">{m(line.unit_price)}</td>
              <td className="number">{m(line.amount)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={3}>
              {words.subtotal}
            </th>
            <td className="number">{m(investment.subtotal)}</td>
          </tr>
          {investment.discount_percent && (
            <tr>
              <th scope="row" colSpan={3}>
                {fill(words.discount, { percent: investment.discount_percent })}
              </th>
              <td className="number">−{m(investment.discount)}</td>
            </tr>
          )}
          {investment.taxes.map((tax) => (
            <tr key={tax.label}>
              <th scope="row" colSpan={3}>
                {tax.label} ({tax.rate}%)
              </th>
              <td className="number">{m(tax.amount)}</td>
            </tr>
          ))}
          <tr className="share-total">
            <th scope="row" colSpan={3}>
              {words.total}
            </th>
            <td className="number">{m(investment.total)}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

function AnswerSummary({ answer, language, words }: { answer: ShareAnswer; language: string; words: ShareWords }) {
  const when = date(answer.answered_at, language);
  return (
    <div className={`alert ${answer.decision === 'accepted' ? 'alert-success' : 'alert-info'}`} role="status">
      <p className="alert-title">{fill(answer.decision === 'accepted' ? words.accepted : words.declined, { name: answer.name, date: when })}</p>
      {answer.decision === 'accepted' && answer.final_pdf_available && (
        <p>{answer.signature_level ? fill(words.signed, { level: answer.signature_level }) : words.unsigned}</p>
      )}
      {answer.reason && <p>{answer.reason}</p>}
    </div>
  );
}

function AnswerForms({ client, words, onAnswered }: { client: ShareClient; words: ShareWords; onAnswered: (answer: ShareAnswer) => void }) {
  const [choice, setChoice] = useState<'accept' | 'decline'>('accept');
  const [values, setValues] = useState({ name: '', email: '', role: '', note: '', reason: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  const set = (name: keyof typeof values) => (event: { target: { value: string } }) => setValues((old) => ({ ...old, [name]: event.target.value }));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onAnswered(await client.answer(choice, values));
    } catch (failure) {
      setError(shareErrorText(failure, words));
      setTimeout(() => errorRef.current?.focus(), 0);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} className="share-form">
      <fieldset className="share-choice">
        <legend className="visually-hidden">{words.answerTitle}</legend>
        <label>
          <input type="radio" name="decision" value="accept" checked={choice === 'accept'} onChange={() => setChoice('accept')} /> {words.accept}
        </label>
        <label>
          <input type="radio" name="decision" value="decline" checked={choice === 'decline'} onChange={() => setChoice('decline')} /> {words.decline}
        </label>
      </fieldset>
      {choice === 'accept' && <p className="small muted">{words.acceptIntro}</p>}
      <div className="share-fields">
        <div className="field">
          <label htmlFor="answer-name">{words.name}</label>
          <input id="answer-name" value={values.name} onChange={set('name')} autoComplete="name" required maxLength={200} />
        </div>
        <div className="field">
          <label htmlFor="answer-email">{words.email}</label>
          <input id="answer-email" type="email" value={values.email} onChange={set('email')} autoComplete="email" required maxLength={320} />
        </div>
        <div className="field">
          <label htmlFor="answer-role">
            {words.role} <span className="optional">{words.optional}</span>
          </label>
          <input id="answer-role" value={values.role} onChange={set('role')} autoComplete="organization-title" maxLength={200} />
        </div>
      </div>
      {choice === 'accept' ? (
        <div className="field">
          <label htmlFor="answer-note">
            {words.note} <span className="optional">{words.optional}</span>
          </label>
          <textarea id="answer-note" rows={3} value={values.note} onChange={set('note')} maxLength={4000} />
        </div>
      ) : (
        <div className="field">
          <label htmlFor="answer-reason">{words.reason}</label>
          <textarea id="answer-reason" rows={3} value={values.reason} onChange={set('reason')} required maxLength={4000} />
        </div>
      )}
      {error && (
        <div className="alert alert-error" role="alert" tabIndex={-1} ref={errorRef}>
          {error}
        </div>
      )}
      <button type="submit" className={choice === 'decline' ? 'button-danger' : undefined} disabled={busy}>
        {busy ? words.sending : choice === 'accept' ? words.submitAccept : words.submitDecline}
      </button>
    </form>
  );
}
