'use client';
/** The session (a token in sessionStorage, or the gateway's web-session cookie; who it is), the interface language,
 * and the API client built from both. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiClient, ApiError, type FieldProblem } from './api';
import { format, messages, type MessageKey } from './messages';
import type { Principal } from './types';

export type Locale = 'pt-BR' | 'en';
export type SignInNotice = 'expired' | 'signedOut' | null;

const TOKEN_KEY = 'propos4l.token';
const NOTICE_KEY = 'propos4l.notice';
const LOCALE_KEY = 'propos4l.locale';
/** Set while a web session (cookie) is open: after a reload, `GET /api/me` with the cookie restores it. */
const COOKIE_SESSION_KEY = 'propos4l.cookieSession';

export interface AppContextValue {
  apiUrl: string;
  locale: Locale;
  setLocale: (locale: Locale) => void;
  t: (key: MessageKey, values?: Record<string, string | number>) => string;
  formatDate: (iso: string | null | undefined) => string;
  /** Money in the interface's locale; `amount` may be an exact decimal string from the API ("5499.99"). */
  formatMoney: (amount: number | string, currency?: string) => string;
  /** A number in the interface's locale; `value` may be an exact decimal string from the API ("2.5"). */
  formatNumber: (value: number | string) => string;
  token: string | null;
  /** Who is signed in (`GET /api/me`): null without a session, and while it is being asked after a reload. */
  principal: Principal | null;
  /** False until the session is known: sessionStorage read and, with a token, its principal fetched. */
  ready: boolean;
  /** Why the principal could not be fetched after a reload (the gateway unreachable, say); null otherwise. */
  sessionError: string | null;
  /** Ask `GET /api/me` again after a `sessionError`. */
  retrySession: () => void;
  /** Keep a token the gateway accepted, with the principal it answered for it. */
  signIn: (token: string, principal: Principal) => void;
  /** Keep the web session the gateway opened (its cookie; the principal with its CSRF token). */
  signInWithSession: (principal: Principal) => void;
  /** Signed in, with a token or a web session. */
  signedIn: boolean;
  signOut: (notice?: SignInNotice) => void;
  notice: SignInNotice;
  api: ApiClient;
  /** A sentence a person can act on for any error thrown by the client. */
  describeError: (error: unknown) => string;
  /** A field error of a 422 in the interface's language (the gateway's English wording for kinds it does not know). */
  wordFieldError: (item: FieldProblem) => string;
}

const AppContext = createContext<AppContextValue | null>(null);

export function AppProvider({ apiUrl, children }: { apiUrl: string; children: ReactNode }) {
  const [token, setToken] = useState<string | null>(null);
  const [principal, setPrincipal] = useState<Principal | null>(null);
  const [sessionFailure, setSessionFailure] = useState<unknown>(null);
  const [sessionAttempt, setSessionAttempt] = useState(0);
  const [storageRead, setStorageRead] = useState(false);
  const [locale, setLocaleState] = useState<Locale>('pt-BR');
  const [notice, setNotice] = useState<SignInNotice>(null);
  const [cookieSession, setCookieSession] = useState(false);

  useEffect(() => {
    setToken(window.sessionStorage.getItem(TOKEN_KEY));
    setCookieSession(window.localStorage.getItem(COOKIE_SESSION_KEY) === '1');
    setNotice((window.sessionStorage.getItem(NOTICE_KEY) as SignInNotice) ?? null);
    const stored = window.localStorage.getItem(LOCALE_KEY);
    if (stored === 'en' || stored === 'pt-BR') setLocaleState(stored);
    setStorageRead(true);
  }, []);

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  const setLocale = useCallback(
    (next: Locale) => {
      setLocaleState(next);
      window.localStorage.setItem(LOCALE_KEY, next);
      // An account keeps its language (the gateway's, for the next sign-in anywhere); a token has none.
      if (principal?.user) {
        new ApiClient({ baseUrl: apiUrl, token, csrfToken: principal.csrf_token ?? null }).changeMe({ language: next }).catch(() => undefined);
      }
    },
    [apiUrl, token, principal],
  );

  const signIn = useCallback((value: string, who: Principal) => {
    window.sessionStorage.setItem(TOKEN_KEY, value);
    window.sessionStorage.removeItem(NOTICE_KEY);
    setNotice(null);
    setSessionFailure(null);
    setPrincipal(who);
    setToken(value);
  }, []);

  const signInWithSession = useCallback((who: Principal) => {
    window.localStorage.setItem(COOKIE_SESSION_KEY, '1');
    const language = who.user?.language;
    if (language === 'en' || language === 'pt-BR') {
      setLocaleState(language);
      window.localStorage.setItem(LOCALE_KEY, language);
    }
    window.sessionStorage.removeItem(NOTICE_KEY);
    setNotice(null);
    setSessionFailure(null);
    setPrincipal(who);
    setCookieSession(true);
  }, []);

  const signOut = useCallback((why: SignInNotice = 'signedOut') => {
    if (window.localStorage.getItem(COOKIE_SESSION_KEY) === '1' && why === 'signedOut') {
      // End the session at the gateway too (its cookie is HttpOnly: only the gateway can clear it).
      const csrf = principal?.csrf_token ?? null;
      new ApiClient({ baseUrl: apiUrl, token: null, csrfToken: csrf }).signOutSession().catch(() => undefined);
    }
    window.localStorage.removeItem(COOKIE_SESSION_KEY);
    setCookieSession(false);
    window.sessionStorage.removeItem(TOKEN_KEY);
    if (why) window.sessionStorage.setItem(NOTICE_KEY, why);
    else window.sessionStorage.removeItem(NOTICE_KEY);
    setNotice(why);
    setSessionFailure(null);
    setPrincipal(null);
    setToken(null);
  }, [apiUrl, principal]);

  // A token read back from sessionStorage, or a web session (a reload), comes without its principal: ask once.
  useEffect(() => {
    if ((!token && !cookieSession) || principal) return;
    let current = true;
    setSessionFailure(null);
    new ApiClient({ baseUrl: apiUrl, token }).me().then(
      (who) => {
        if (current) setPrincipal(who);
      },
      (error: unknown) => {
        if (!current) return;
        if (error instanceof ApiError && error.kind === 'unauthorized') signOut('expired');
        else setSessionFailure(error);
      },
    );
    return () => {
      current = false;
    };
  }, [apiUrl, token, cookieSession, principal, sessionAttempt, signOut]);

  const retrySession = useCallback(() => setSessionAttempt((attempt) => attempt + 1), []);
  const signedIn = token !== null || cookieSession;
  const ready = storageRead && (!signedIn || principal !== null);
  const csrfToken = principal?.csrf_token ?? null;

  const api = useMemo(
    () =>
      new ApiClient({ baseUrl: apiUrl, token, csrfToken, onUnauthorized: token || cookieSession ? () => signOut('expired') : undefined }),
    [apiUrl, token, csrfToken, cookieSession, signOut],
  );

  const value = useMemo<AppContextValue>(() => {
    const dictionary = messages[locale];
    const t = (key: MessageKey, values?: Record<string, string | number>) => format(dictionary[key] ?? key, values);
    const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
    const numberFormat = new Intl.NumberFormat(locale);
    return {
      apiUrl,
      locale,
      setLocale,
      t,
      formatDate: (iso) => (iso ? dateFormat.format(new Date(iso)) : '—'),
      formatMoney: (amount, currency = locale === 'en' ? 'USD' : 'BRL') => formatMoney(locale, amount, currency),
      formatNumber: (n) => formatDecimal(numberFormat, n) ?? String(n),
      token,
      principal,
      ready,
      sessionError: sessionFailure === null ? null : describe(sessionFailure, t, apiUrl),
      retrySession,
      signIn,
      signInWithSession,
      signedIn,
      signOut,
      notice,
      api,
      describeError: (error) => describe(error, t, apiUrl),
      wordFieldError: (item) => wordFieldError(item, t),
    };
  }, [apiUrl, locale, setLocale, token, principal, ready, sessionFailure, retrySession, signIn, signInWithSession, signedIn, signOut, notice, api]);

  return <AppContext.Provider value={value}>{children}</AppContext.Provider>;
}

/** The name to show for who is signed in: "admin", or a token's own name without the "token:" prefix. */
export function principalName(principal: Principal): string {
  return principal.name.startsWith('token:') ? principal.name.slice('token:'.length) : principal.name;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * `value` formatted without going through a float when it is a decimal string: Intl.NumberFormat formats such a
 * string exactly (ES2023; older engines read it as a number, still exact to the cent for any realistic amount).
 * Null when `value` is not a finite number or a plain decimal string.
 */
function formatDecimal(formatter: Intl.NumberFormat, value: number | string): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? formatter.format(value) : null;
  const text = value.trim();
  if (!DECIMAL.test(text)) return null;
  // TypeScript's ES2022 library types format(number | bigint); the ES2023 overload takes the decimal string.
  return (formatter as unknown as { format(exact: string): string }).format(text);
}

function formatMoney(locale: Locale, amount: number | string, currency: string): string {
  let formatter: Intl.NumberFormat;
  try {
    formatter = new Intl.NumberFormat(locale, { style: 'currency', currency });
  } catch {
    // Not an ISO 4217 code Intl accepts: the code, then the number with two decimals.
    formatter = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    const number = formatDecimal(formatter, amount);
    return number === null ? '—' : `${currency} ${number}`;
  }
  return formatDecimal(formatter, amount) ?? '—';
}

function wordFieldError(item: FieldProblem, t: AppContextValue['t']): string {
  // The sentence for a bound the value broke, or the gateway's own wording when the bound is not given.
  const bounded = (bound: string, key: MessageKey): string => {
    const limit = item.limits?.[bound];
    return limit === undefined ? item.message : t(key, { limit });
  };
  switch (item.type) {
    case 'missing':
      return t('form.required');
    case 'string_too_long':
      return bounded('max_length', 'validation.tooLong');
    case 'string_too_short':
      return bounded('min_length', 'validation.tooShort');
    case 'string_pattern_mismatch':
      return t('validation.pattern');
    case 'less_than_equal':
      return bounded('le', 'validation.atMost');
    case 'less_than':
      return bounded('lt', 'validation.below');
    case 'greater_than_equal':
      return bounded('ge', 'validation.atLeast');
    case 'greater_than':
      return bounded('gt', 'validation.above');
    case 'int_parsing':
    case 'int_type':
    case 'float_parsing':
    case 'float_type':
    case 'decimal_parsing':
    case 'decimal_type':
      return t('validation.number');
    case 'string_type':
      return t('validation.text');
    case 'literal_error':
    case 'enum':
      return t('validation.choice');
    default:
      return item.message;
  }
}

function describe(error: unknown, t: AppContextValue['t'], apiUrl: string): string {
  if (!(error instanceof ApiError)) return String(error);
  switch (error.kind) {
    case 'network':
      return t('error.network', { url: apiUrl });
    case 'unauthorized':
      return t('error.unauthorized');
    case 'forbidden':
      return t('error.forbidden');
    case 'not_found':
      return error.problem.detail || t('error.notFound');
    case 'conflict':
      return error.problem.detail ? `${t('error.conflict')} (${error.problem.detail})` : t('error.conflict');
    case 'invalid':
      return error.problem.detail || t('error.invalid');
    case 'precondition':
      return error.problem.detail ? `${t('error.precondition')} (${error.problem.detail})` : t('error.precondition');
    case 'unavailable':
      return t('error.unavailable');
    case 'too_large':
      return error.problem.detail ? `${t('error.tooLarge')} (${error.problem.detail})` : t('error.tooLarge');
    default:
      return `${t('error.server', { status: error.status })}${error.problem.detail ? ` ${error.problem.detail}` : ''}`;
  }
}

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside AppProvider');
  return value;
}
