/** The library's codes worded in the interface's language: document status, failure codes, search mode, errors. */
import { ApiError } from './api';
import type { MessageKey } from './messages';
import { FAILURE_CODES, type LibraryDocument, type SearchResponse } from './library';

type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

/** The reason a document failed, from its `failure_code`; the service's own (English) reason only for a code this app does not know. */
export function failureWording(document: Pick<LibraryDocument, 'failure_code' | 'failure_reason'>, t: Translate): string {
  const code = document.failure_code;
  if (code && (FAILURE_CODES as readonly string[]).includes(code)) return t(`library.failure.${code}` as MessageKey);
  return document.failure_reason?.trim() || t('library.failure.unknown');
}

/** One line saying where a document is: uploaded, indexing (page n of m), indexed (with its passages), failed (why). */
export function documentStatusText(document: LibraryDocument, t: Translate): string {
  switch (document.status) {
    case 'uploaded':
      return t('library.docs.status.uploaded');
    case 'indexing':
      return document.pages_total
        ? t('library.docs.status.indexingPages', { done: Math.min(document.pages_done, document.pages_total), total: document.pages_total })
        : t('library.docs.status.indexing');
    case 'indexed':
      return document.passage_count === 1 ? t('library.docs.status.indexed.one') : t('library.docs.status.indexed.other', { count: document.passage_count });
    case 'failed':
      return t('library.docs.status.failed', { reason: failureWording(document, t) });
    default:
      return String(document.status);
  }
}

/** The notice a full-text-only search must show (never a silent gap); null for a hybrid search. */
export function searchModeNotice(response: Pick<SearchResponse, 'mode' | 'mode_reason'>, t: Translate): string | null {
  if (response.mode !== 'full_text') return null;
  switch (response.mode_reason) {
    case 'no_embedding_model':
    case 'no_vector_extension':
    case 'reembedding':
    case 'embedding_unavailable':
      return t(`library.search.fullText.${response.mode_reason}`);
    default:
      return t('library.search.fullText');
  }
}

/**
 * A library call's failure in the interface's language: the app's own sentence for the kind of problem, the
 * gateway's (English) detail after it only as a clue. `fallback` is the app's general wording (describeError).
 */
export function describeLibraryError(error: unknown, t: Translate, fallback: (error: unknown) => string): string {
  if (!(error instanceof ApiError)) return fallback(error);
  const detail = typeof error.problem.detail === 'string' ? error.problem.detail.trim() : '';
  const withDetail = (sentence: string) => (detail ? `${sentence} ${t('library.error.gatewaySaid', { detail })}` : sentence);
  if (error.status === 415) return withDetail(t('library.error.unsupportedType'));
  switch (error.kind) {
    case 'not_found':
      return t('library.error.notFound');
    case 'conflict':
      return withDetail(t('library.error.conflict'));
    case 'invalid':
      return (error.problem.errors ?? []).length ? t('library.error.fields') : withDetail(t('library.error.invalid'));
    case 'too_large':
      return withDetail(t('library.error.tooLarge'));
    default:
      return fallback(error);
  }
}
