'use client';
/** The session (token in sessionStorage), the interface language, and the API client built from both. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiClient, ApiError } from './api';
import { format, messages, type MessageKey } from './messages';

export type Locale = 'pt-BR' | 'en';
export type SignInNotice = 'expired' | 'signedOut' | null;

const TOKEN_KEY = 'propos4l.token';
const NOTICE_KEY = 'propos4l.notice';
const LOCALE_KEY = 'propos4l.locale';

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
  /** False until sessionStorage has been read (first client render). */
  ready: boolean;
  signIn: (token: string) => void;
  signOut: (notice?: SignInNotice) => void;
  notice: SignInNotice;
  api: ApiClient;
  /** A sentence a person can act on for any error thrown by the client. */
  describeError: (error: unknown) => string;
}

const AppContext = createContext<AppContextValue | null>(null);

export function AppProvider({ apiUrl, children }: { apiUrl: string; children: ReactNode }) {
  const [token, setToken] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const [locale, setLocaleState] = useState<Locale>('pt-BR');
  const [notice, setNotice] = useState<SignInNotice>(null);

  useEffect(() => {
    setToken(window.sessionStorage.getItem(TOKEN_KEY));
    setNotice((window.sessionStorage.getItem(NOTICE_KEY) as SignInNotice) ?? null);
    const stored = window.localStorage.getItem(LOCALE_KEY);
    if (stored === 'en' || stored === 'pt-BR') setLocaleState(stored);
    setReady(true);
  }, []);

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  const setLocale = useCallback((next: Locale) => {
    setLocaleState(next);
    window.localStorage.setItem(LOCALE_KEY, next);
  }, []);

  const signIn = useCallback((value: string) => {
    window.sessionStorage.setItem(TOKEN_KEY, value);
    window.sessionStorage.removeItem(NOTICE_KEY);
    setNotice(null);
    setToken(value);
  }, []);

  const signOut = useCallback((why: SignInNotice = 'signedOut') => {
    window.sessionStorage.removeItem(TOKEN_KEY);
    if (why) window.sessionStorage.setItem(NOTICE_KEY, why);
    else window.sessionStorage.removeItem(NOTICE_KEY);
    setNotice(why);
    setToken(null);
  }, []);

  const api = useMemo(
    () => new ApiClient({ baseUrl: apiUrl, token, onUnauthorized: token ? () => signOut('expired') : undefined }),
    [apiUrl, token, signOut],
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
      ready,
      signIn,
      signOut,
      notice,
      api,
      describeError: (error) => describe(error, t, apiUrl),
    };
  }, [apiUrl, locale, setLocale, token, ready, signIn, signOut, notice, api]);

  return <AppContext.Provider value={value}>{children}</AppContext.Provider>;
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
    case 'too_large':
      return t('error.tooLarge');
    default:
      return `${t('error.server', { status: error.status })}${error.problem.detail ? ` ${error.problem.detail}` : ''}`;
  }
}

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside AppProvider');
  return value;
}
