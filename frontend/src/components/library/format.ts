'use client';
/** Formatting shared by the library's tabs. */
import { useCallback, useMemo, useRef } from 'react';
import { useApp } from '@/lib/app-context';
import { LIBRARY_LANGUAGES } from '@/lib/library';
import { describeLibraryError } from '@/lib/library-words';
import type { MessageKey } from '@/lib/messages';

/** A calendar date ("2026-01-01") in the interface's locale, without a time and without shifting across time zones. */
export function useFormatDay(): (day: string | null | undefined) => string {
  const { locale } = useApp();
  return useMemo(() => {
    const formatter = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
    return (day) => {
      if (!day) return '—';
      const date = new Date(`${day.slice(0, 10)}T00:00:00Z`);
      return Number.isNaN(date.getTime()) ? day : formatter.format(date);
    };
  }, [locale]);
}

/** The content languages as choices of a select. */
export function useLanguageOptions(): Array<{ value: string; label: string }> {
  const { t } = useApp();
  return LIBRARY_LANGUAGES.map((language) => ({ value: language, label: t(`library.languageName.${language}` as MessageKey) }));
}

/**
 * describeLibraryError with the interface's current wording, as a function that stays the same across renders: effects
 * that load data can use it without loading again each time the app's context changes (a session confirmed, say).
 */
export function useDescribeLibraryError(): (error: unknown) => string {
  const { t, describeError } = useApp();
  const latest = useRef({ t, describeError });
  latest.current = { t, describeError };
  return useCallback((error: unknown) => describeLibraryError(error, latest.current.t, latest.current.describeError), []);
}
