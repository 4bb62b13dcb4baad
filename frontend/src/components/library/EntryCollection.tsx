'use client';
/**
 * A list of library entries of one kind (services, people, case studies, rate-card roles) with its form: new, edit,
 * delete after a confirmation, pages loaded on demand. The kinds differ only in their columns and fields.
 */
import { Fragment, useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useApp } from '@/lib/app-context';
import { LibraryApi, today, type EntryCollection as Collection, type EntryOf, type FiltersOf, type InputOf } from '@/lib/library';
import type { MessageKey } from '@/lib/messages';
import { Alert, Loading, useFocusLater } from '../ui';
import { EntryForm, toFormValues, type FieldSpec } from './EntryForm';
import { useDescribeLibraryError, useFormatDay } from './format';

export interface Column<T> {
  header: string;
  cell: (item: T) => ReactNode;
}

const PAGE_SIZE = 50;

export function EntryCollection<C extends Collection>({
  collection,
  fields,
  columns,
  titleOf,
  blank,
  canWrite = true,
  confirmDeleteKey = 'library.confirmDelete',
  filters,
  toolbar,
  emptyFilteredKey,
  rowActions,
  rowPanel,
  editId,
  onEditHandled,
  reloadKey,
}: {
  collection: C;
  fields: FieldSpec[];
  columns: Array<Column<EntryOf<C>>>;
  titleOf: (item: EntryOf<C>) => string;
  blank: () => InputOf<C>;
  canWrite?: boolean;
  confirmDeleteKey?: MessageKey;
  /** The list's query filters, sent to the gateway (a change reloads the list). */
  filters?: FiltersOf<C>;
  toolbar?: ReactNode;
  emptyFilteredKey?: MessageKey;
  rowActions?: (item: EntryOf<C>) => ReactNode;
  rowPanel?: (item: EntryOf<C>) => ReactNode;
  /** An entry to open in the form (a link from the stale list). */
  editId?: string | null;
  onEditHandled?: () => void;
  /** Change it to reload the list (a rate added elsewhere). */
  reloadKey?: number;
}) {
  const { api, t } = useApp();
  const describe = useDescribeLibraryError();
  const library = useMemo(() => new LibraryApi(api), [api]);
  const formatDay = useFormatDay();
  const focusLater = useFocusLater();
  const [items, setItems] = useState<Array<EntryOf<C>> | null>(null);
  const [nextAfter, setNextAfter] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [editing, setEditing] = useState<{ item: EntryOf<C> | null } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const prefix = `library-${collection}`;
  const columnCount = columns.length + 2;
  const filterKey = JSON.stringify(filters ?? {});

  const load = useCallback(async () => {
    try {
      const page = await library.list(collection, { limit: PAGE_SIZE, ...(JSON.parse(filterKey) as FiltersOf<C>) });
      setItems(page.items);
      setNextAfter(page.next_cursor);
      setLoadError(null);
    } catch (caught) {
      setLoadError(describe(caught));
    }
  }, [library, collection, describe, filterKey]);

  useEffect(() => {
    void load();
  }, [load, reloadKey]);

  useEffect(() => {
    if (!editId) return;
    onEditHandled?.();
    library.get(collection, editId).then(
      (item) => {
        setEditing({ item });
        focusLater(`${prefix}-form-title`);
      },
      (caught: unknown) => setNotice({ kind: 'error', text: describe(caught) }),
    );
  }, [editId, onEditHandled, library, collection, describe, focusLater, prefix]);

  async function loadMore() {
    if (!nextAfter) return;
    try {
      const page = await library.list(collection, { limit: PAGE_SIZE, after: nextAfter, ...(JSON.parse(filterKey) as FiltersOf<C>) });
      setItems((current) => [...(current ?? []), ...page.items]);
      setNextAfter(page.next_cursor);
    } catch (caught) {
      setNotice({ kind: 'error', text: describe(caught) });
    }
  }

  function open(item: EntryOf<C> | null) {
    setEditing({ item });
    setNotice(null);
    focusLater(`${prefix}-form-title`);
  }

  function close() {
    const id = editing?.item?.id;
    setEditing(null);
    focusLater(id ? `${prefix}-edit-${id}` : `${prefix}-new`);
  }

  async function save(input: Record<string, unknown>) {
    const current = editing?.item ?? null;
    const body = input as unknown as InputOf<C>;
    const saved = current ? await library.update(collection, current.id, body) : await library.create(collection, body);
    setEditing(null);
    setNotice({ kind: 'success', text: t('library.saved', { name: titleOf(saved) }) });
    focusLater(`${prefix}-notice`);
    await load();
  }

  async function remove(item: EntryOf<C>) {
    setDeleting(true);
    try {
      await library.remove(collection, item.id);
      setNotice({ kind: 'success', text: t('library.deleted', { name: titleOf(item) }) });
      if (editing?.item?.id === item.id) setEditing(null);
      await load();
    } catch (caught) {
      setNotice({ kind: 'error', text: describe(caught) });
    } finally {
      setDeleting(false);
      setConfirming(null);
      focusLater(`${prefix}-notice`);
    }
  }

  if (loadError && items === null) {
    return (
      <Alert
        action={
          <button type="button" onClick={() => void load()}>
            {t('common.retry')}
          </button>
        }
      >
        {loadError}
      </Alert>
    );
  }
  if (items === null) return <Loading />;

  const shown = items;
  const filtered = filterKey !== '{}';
  const now = today();

  return (
    <div className="stack">
      <div className="library-toolbar">
        {toolbar}
        {canWrite && !editing && (
          <button type="button" id={`${prefix}-new`} onClick={() => open(null)}>
            {t(`library.new.${collection}` as MessageKey)}
          </button>
        )}
      </div>
      {notice && (
        <Alert kind={notice.kind} id={`${prefix}-notice`} focusable>
          {notice.text}
        </Alert>
      )}
      {editing && (
        <EntryForm
          key={editing.item?.id ?? 'new'}
          idPrefix={`${prefix}-form`}
          title={editing.item ? t('library.editTitle', { name: titleOf(editing.item) }) : t(`library.new.${collection}` as MessageKey)}
          fields={fields}
          initial={toFormValues((editing.item ?? blank()) as unknown as Record<string, unknown>, fields)}
          onSubmit={save}
          onCancel={close}
        />
      )}
      {shown.length === 0 ? (
        <p className="muted">{t(filtered ? (emptyFilteredKey ?? 'library.empty') : 'library.empty')}</p>
      ) : (
        <div className="table-wrap">
          <table className="library-table" data-collection={collection}>
            <thead>
              <tr>
                {columns.map((column) => (
                  <th scope="col" key={column.header}>
                    {column.header}
                  </th>
                ))}
                <th scope="col">{t('library.field.review_by')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('library.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((item) => {
                const title = titleOf(item);
                const panel = rowPanel?.(item);
                return (
                  <Fragment key={item.id}>
                    <tr data-entry={item.id}>
                      {columns.map((column, index) =>
                        index === 0 ? (
                          <th scope="row" key={column.header}>
                            {column.cell(item)}
                          </th>
                        ) : (
                          <td key={column.header}>{column.cell(item)}</td>
                        ),
                      )}
                      <td>
                        {item.review_by ? formatDay(item.review_by) : '—'}
                        {item.review_by && item.review_by < now && <span className="badge badge-queued title-badge">{t('library.overdue')}</span>}
                      </td>
                      <td className="library-actions">
                        {rowActions?.(item)}
                        {canWrite && (
                          <>
                            <button type="button" id={`${prefix}-edit-${item.id}`} className="button-secondary button-small" aria-label={t('library.editTitle', { name: title })} onClick={() => open(item)}>
                              {t('library.edit')}
                            </button>
                            <button
                              type="button"
                              id={`${prefix}-delete-${item.id}`}
                              className="button-secondary button-small button-danger-outline"
                              aria-label={`${t('library.delete')}: ${title}`}
                              aria-expanded={confirming === item.id}
                              onClick={() => {
                                setConfirming(item.id);
                                setNotice(null);
                                focusLater(`${prefix}-delete-cancel-${item.id}`);
                              }}
                            >
                              {t('library.delete')}
                            </button>
                          </>
                        )}
                      </td>
                    </tr>
                    {confirming === item.id && (
                      <tr className="confirm-row">
                        <td colSpan={columnCount}>
                          <div role="group" aria-labelledby={`${prefix}-delete-question-${item.id}`} className="confirm">
                            <p id={`${prefix}-delete-question-${item.id}`}>{t(confirmDeleteKey, { name: title })}</p>
                            <div className="row">
                              <button type="button" className="button-danger" onClick={() => void remove(item)} disabled={deleting}>
                                {deleting ? t('library.deleting') : t('library.confirmDeleteButton')}
                              </button>
                              <button
                                type="button"
                                id={`${prefix}-delete-cancel-${item.id}`}
                                className="button-secondary"
                                disabled={deleting}
                                onClick={() => {
                                  setConfirming(null);
                                  focusLater(`${prefix}-delete-${item.id}`);
                                }}
                              >
                                {t('common.cancel')}
                              </button>
                            </div>
                          </div>
                        </td>
                      </tr>
                    )}
                    {panel && (
                      <tr className="panel-row">
                        <td colSpan={columnCount}>{panel}</td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {nextAfter && (
        <button type="button" className="button-secondary" onClick={() => void loadMore()}>
          {t('library.loadMore')}
        </button>
      )}
    </div>
  );
}
