'use client';
/**
 * Documents: upload by drag and drop (or the file input, the keyboard's way), then each document's live status:
 * uploaded, indexing (page n of m), indexed (its passages) or failed (why, in the reader's language). Documents on
 * their way are polled with GET /api/library/documents/{id} until they are indexed or failed.
 */
import { Fragment, useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { useApp } from '@/lib/app-context';
import { DOCUMENT_CATEGORIES, isIndexing, LibraryApi, type DocumentCategory, type LibraryDocument, type LibraryLanguage, type Passage, type Person } from '@/lib/library';
import { documentStatusText } from '@/lib/library-words';
import { Alert, describedBy, Field, Loading, useFocusLater } from '../ui';
import { useDescribeLibraryError, useFormatDay, useLanguageOptions } from './format';

/** How often a document on its way to indexed is asked for, in milliseconds. */
export const POLL_MS = 1500;
const PAGE_SIZE = 50;
const PASSAGE_PAGE = 20;

interface Upload {
  key: number;
  name: string;
  error: string | null;
}

export function DocumentsTab({ pollMs = POLL_MS }: { pollMs?: number }) {
  const { api, t } = useApp();
  const describe = useDescribeLibraryError();
  const library = useMemo(() => new LibraryApi(api), [api]);
  const languages = useLanguageOptions();
  const formatDay = useFormatDay();
  const focusLater = useFocusLater();
  const [documents, setDocuments] = useState<LibraryDocument[] | null>(null);
  const [nextAfter, setNextAfter] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [category, setCategory] = useState<DocumentCategory>('past_proposal');
  const [language, setLanguage] = useState<LibraryLanguage | ''>('');
  const [details, setDetails] = useState({ title: '', person_id: '', owner: '', review_by: '' });
  const [people, setPeople] = useState<Person[]>([]);
  const [dragging, setDragging] = useState(false);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [showing, setShowing] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error' | 'info'; text: string } | null>(null);
  const uploadKey = useRef(0);
  const setDetail = (name: keyof typeof details, value: string) => setDetails((current) => ({ ...current, [name]: value }));

  // Whose CV a document is: the people to choose from, asked for when the category is CV.
  useEffect(() => {
    if (category !== 'cv') return;
    library.list('people', { limit: 200 }).then(
      (page) => setPeople(page.items),
      () => undefined,
    );
  }, [category, library]);

  const load = useCallback(async () => {
    try {
      const page = await library.listDocuments({ limit: PAGE_SIZE });
      setDocuments(page.items);
      setNextAfter(page.next_cursor);
      setLoadError(null);
    } catch (caught) {
      setLoadError(describe(caught));
    }
  }, [library, describe]);

  useEffect(() => {
    void load();
  }, [load]);

  // Poll the documents still on their way; stop when none is.
  const pending = (documents ?? []).filter(isIndexing).map((document) => document.id);
  const pendingKey = pending.join(',');
  useEffect(() => {
    if (!pendingKey) return;
    let stopped = false;
    const timer = setTimeout(async () => {
      const fresh = await Promise.all(pendingKey.split(',').map((id) => library.getDocument(id).catch(() => null)));
      if (stopped) return;
      setDocuments((current) => (current ?? []).map((document) => fresh.find((item) => item?.id === document.id) ?? document));
    }, pollMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // `documents` changing (a poll answered) schedules the next poll.
  }, [pendingKey, documents, library, pollMs]);

  async function upload(files: File[]) {
    setNotice(null);
    for (const file of files) {
      const key = ++uploadKey.current;
      setUploads((current) => [...current, { key, name: file.name, error: null }]);
      try {
        const { document, created } = await library.uploadDocument({
          file,
          filename: file.name,
          category,
          language: language || null,
          // A title names one document: with several files each keeps its own name.
          title: files.length === 1 ? details.title : null,
          person_id: category === 'cv' ? details.person_id : null,
          owner: details.owner,
          review_by: details.review_by,
        });
        setUploads((current) => current.filter((item) => item.key !== key));
        setDocuments((current) => [document, ...(current ?? []).filter((item) => item.id !== document.id)]);
        // 200: the same content was in the library already; the gateway answered that document.
        if (!created) setNotice({ kind: 'info', text: t('library.docs.duplicate', { name: file.name, title: document.title }) });
      } catch (caught) {
        const reason = describe(caught);
        setUploads((current) => current.map((item) => (item.key === key ? { ...item, error: t('library.docs.uploadFailed', { name: file.name, reason }) } : item)));
      }
    }
  }

  function onDrop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    const files = Array.from(event.dataTransfer.files);
    if (files.length) void upload(files);
  }

  async function loadMore() {
    if (!nextAfter) return;
    try {
      const page = await library.listDocuments({ limit: PAGE_SIZE, after: nextAfter });
      setDocuments((current) => [...(current ?? []), ...page.items]);
      setNextAfter(page.next_cursor);
    } catch (caught) {
      setNotice({ kind: 'error', text: describe(caught) });
    }
  }

  async function remove(document: LibraryDocument) {
    try {
      await library.remove('documents', document.id);
      setDocuments((current) => (current ?? []).filter((item) => item.id !== document.id));
      setNotice({ kind: 'success', text: t('library.deleted', { name: document.title }) });
    } catch (caught) {
      setNotice({ kind: 'error', text: describe(caught) });
    } finally {
      setConfirming(null);
      focusLater('library-documents-notice');
    }
  }

  return (
    <div className="stack">
      <section className="card" aria-labelledby="library-upload-title">
        <h2 id="library-upload-title">{t('library.docs.upload')}</h2>
        <div className="grid-3 align-end">
          <Field id="library-upload-category" label={t('library.field.category')}>
            <select id="library-upload-category" value={category} onChange={(event) => setCategory(event.target.value as DocumentCategory)}>
              {DOCUMENT_CATEGORIES.map((value) => (
                <option key={value} value={value}>
                  {t(`library.docs.category.${value}`)}
                </option>
              ))}
            </select>
          </Field>
          <Field id="library-upload-language" label={t('library.field.language')}>
            <select id="library-upload-language" value={language} onChange={(event) => setLanguage(event.target.value as LibraryLanguage | '')}>
              <option value="">{t('library.docs.languageUnknown')}</option>
              {languages.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </Field>
          {category === 'cv' && (
            <Field id="library-upload-person" label={t('library.field.person_id')}>
              <select id="library-upload-person" value={details.person_id} onChange={(event) => setDetail('person_id', event.target.value)}>
                <option value="">{t('library.docs.noPerson')}</option>
                {people.map((person) => (
                  <option key={person.id} value={person.id}>
                    {person.name}
                  </option>
                ))}
              </select>
            </Field>
          )}
        </div>
        <div className="grid-3 align-end">
          <Field id="library-upload-doc-title" label={t('library.field.title')} hint={t('library.docs.titleHint')} optional>
            <input id="library-upload-doc-title" value={details.title} maxLength={300} aria-describedby={describedBy('library-upload-doc-title', true)} onChange={(event) => setDetail('title', event.target.value)} />
          </Field>
          <Field id="library-upload-owner" label={t('library.field.owner')} hint={t('library.ownerHint')} optional>
            <input id="library-upload-owner" value={details.owner} maxLength={200} aria-describedby={describedBy('library-upload-owner', true)} onChange={(event) => setDetail('owner', event.target.value)} />
          </Field>
          <Field id="library-upload-review" label={t('library.field.review_by')} optional>
            <input id="library-upload-review" type="date" value={details.review_by} onChange={(event) => setDetail('review_by', event.target.value)} />
          </Field>
        </div>
        <div
          className={`dropzone${dragging ? ' dropzone-active' : ''}`}
          data-testid="dropzone"
          onDragEnter={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragOver={(event) => {
            event.preventDefault();
            event.dataTransfer.dropEffect = 'copy';
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <p className="dropzone-title">{dragging ? t('library.docs.dropActive') : t('library.docs.drop')}</p>
          <p className="hint" id="library-upload-types">
            {t('library.docs.types')}
          </p>
          <label htmlFor="library-upload-file" className="file-label">
            {t('library.docs.choose')}
          </label>
          <input
            id="library-upload-file"
            type="file"
            multiple
            accept=".pdf,.docx,.md,.markdown,.html,.htm,.txt,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document,text/markdown,text/html,text/plain"
            aria-describedby="library-upload-types"
            onChange={(event) => {
              const files = Array.from(event.target.files ?? []);
              event.target.value = '';
              if (files.length) void upload(files);
            }}
          />
        </div>
        {uploads.length > 0 && (
          <ul className="uploads" aria-live="polite">
            {uploads.map((item) =>
              item.error ? (
                <li key={item.key}>
                  <Alert
                    action={
                      <button type="button" className="button-secondary button-small" onClick={() => setUploads((current) => current.filter((other) => other.key !== item.key))}>
                        {t('common.close')}
                      </button>
                    }
                  >
                    {item.error}
                  </Alert>
                </li>
              ) : (
                <li key={item.key} className="loading">
                  <span className="spinner" aria-hidden="true" />
                  {t('library.docs.uploading', { name: item.name })}
                </li>
              ),
            )}
          </ul>
        )}
      </section>
      <section className="card" aria-labelledby="library-documents-title">
        <h2 id="library-documents-title">{t('library.docs.list')}</h2>
        {notice && (
          <Alert kind={notice.kind} id="library-documents-notice" focusable>
            {notice.text}
          </Alert>
        )}
        {loadError && documents === null ? (
          <Alert
            action={
              <button type="button" onClick={() => void load()}>
                {t('common.retry')}
              </button>
            }
          >
            {loadError}
          </Alert>
        ) : documents === null ? (
          <Loading />
        ) : documents.length === 0 ? (
          <p className="muted">{t('library.empty')}</p>
        ) : (
          <div className="table-wrap">
            <table className="library-table documents">
              <thead>
                <tr>
                  <th scope="col">{t('library.field.title')}</th>
                  <th scope="col">{t('library.field.category')}</th>
                  <th scope="col">{t('library.docs.status')}</th>
                  <th scope="col">{t('library.field.review_by')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('library.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {documents.map((document) => (
                  <Fragment key={document.id}>
                    <tr data-document={document.id} data-status={document.status}>
                      <th scope="row">
                        {document.title}
                        {document.proposal_id ? (
                          <span className="muted small block">{t('library.docs.fromProposal', { version: document.proposal_version ?? '?' })}</span>
                        ) : (
                          document.filename !== document.title && <span className="muted small block">{document.filename}</span>
                        )}
                      </th>
                      <td>{t(`library.docs.category.${document.category}`)}</td>
                      <td>
                        <DocumentStatus document={document} />
                      </td>
                      <td>{formatDay(document.review_by)}</td>
                      <td className="library-actions">
                        {document.status === 'indexed' && (
                          <button
                            type="button"
                            className="button-secondary button-small"
                            aria-expanded={showing === document.id}
                            aria-controls={showing === document.id ? `library-passages-${document.id}` : undefined}
                            aria-label={t('library.docs.passagesOf', { name: document.title })}
                            onClick={() => setShowing((current) => (current === document.id ? null : document.id))}
                          >
                            {t('library.docs.passages')}
                          </button>
                        )}
                        <button
                          type="button"
                          id={`library-document-delete-${document.id}`}
                          className="button-secondary button-small button-danger-outline"
                          aria-label={`${t('library.delete')}: ${document.title}`}
                          aria-expanded={confirming === document.id}
                          onClick={() => {
                            setConfirming(document.id);
                            focusLater(`library-document-cancel-${document.id}`);
                          }}
                        >
                          {t('library.delete')}
                        </button>
                      </td>
                    </tr>
                    {confirming === document.id && (
                      <tr className="confirm-row">
                        <td colSpan={5}>
                          <div role="group" aria-labelledby={`library-document-question-${document.id}`} className="confirm">
                            <p id={`library-document-question-${document.id}`}>{t('library.confirmDeleteDocument', { name: document.title })}</p>
                            <div className="row">
                              <button type="button" className="button-danger" onClick={() => void remove(document)}>
                                {t('library.confirmDeleteButton')}
                              </button>
                              <button
                                type="button"
                                id={`library-document-cancel-${document.id}`}
                                className="button-secondary"
                                onClick={() => {
                                  setConfirming(null);
                                  focusLater(`library-document-delete-${document.id}`);
                                }}
                              >
                                {t('common.cancel')}
                              </button>
                            </div>
                          </div>
                        </td>
                      </tr>
                    )}
                    {showing === document.id && (
                      <tr className="panel-row">
                        <td colSpan={5}>
                          <DocumentPassages document={document} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {nextAfter && (
          <button type="button" className="button-secondary" onClick={() => void loadMore()}>
            {t('library.loadMore')}
          </button>
        )}
      </section>
    </div>
  );
}

/** A document's status line, with a progress bar while its pages are read. */
export function DocumentStatus({ document }: { document: LibraryDocument }) {
  const { t } = useApp();
  const text = documentStatusText(document, t);
  const badge = document.status === 'indexed' ? 'badge-ready' : document.status === 'failed' ? 'badge-failed' : document.status === 'indexing' ? 'badge-generating' : 'badge-queued';
  return (
    <div className="document-status" data-testid="document-status">
      <span className={`badge ${badge}`} role="status" aria-live="polite">
        {text}
      </span>
      {document.status === 'indexing' && document.pages_total ? (
        <progress max={document.pages_total} value={Math.min(document.pages_done, document.pages_total)} aria-label={t('library.docs.progress', { name: document.title })} />
      ) : null}
      {document.status === 'indexed' && document.ocr_pages > 0 && <span className="muted small block">{t('library.docs.ocr', { count: document.ocr_pages })}</span>}
    </div>
  );
}

/** An indexed document's passages, in reading order, a page at a time: what search finds of it. */
export function DocumentPassages({ document }: { document: LibraryDocument }) {
  const { api, t } = useApp();
  const describe = useDescribeLibraryError();
  const library = useMemo(() => new LibraryApi(api), [api]);
  const [passages, setPassages] = useState<Passage[] | null>(null);
  const [nextAfter, setNextAfter] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (after: string | null) => {
      try {
        const page = await library.passages(document.id, { limit: PASSAGE_PAGE, after });
        setPassages((current) => [...(after ? (current ?? []) : []), ...page.items]);
        setNextAfter(page.next_cursor);
        setError(null);
      } catch (caught) {
        setError(describe(caught));
      }
    },
    [library, document.id, describe],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  const headingId = `library-passages-${document.id}-title`;
  return (
    <section id={`library-passages-${document.id}`} aria-labelledby={headingId} className="passages">
      <h3 id={headingId}>{t('library.docs.passagesOf', { name: document.title })}</h3>
      {error && <Alert>{error}</Alert>}
      {passages === null ? (
        !error && <Loading />
      ) : passages.length === 0 ? (
        <p className="muted">{t('library.docs.noPassages')}</p>
      ) : (
        <ol className="passage-list">
          {passages.map((passage) => (
            <li key={passage.id} data-passage={passage.id}>
              {(passage.heading_path.length > 0 || passage.page !== null) && (
                <p className="search-meta small">
                  {passage.heading_path.length > 0 && <span className="heading-path">{passage.heading_path.join(' › ')}</span>}
                  {passage.page !== null && <span>{t('library.search.page', { page: passage.page })}</span>}
                </p>
              )}
              <p className="passage-body">{passage.body}</p>
            </li>
          ))}
        </ol>
      )}
      {nextAfter && (
        <button type="button" className="button-secondary button-small" onClick={() => void load(nextAfter)}>
          {t('library.loadMore')}
        </button>
      )}
    </section>
  );
}
