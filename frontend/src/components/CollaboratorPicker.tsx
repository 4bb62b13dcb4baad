'use client';
/**
 * Pick a proposal's collaborators by name: the chosen people as a list (each with a remove button) and a combobox
 * that searches the directory of active colleagues as one types (ARIA 1.2 combobox with a listbox popup: arrows move,
 * Enter adds, Escape closes; the number of matches is announced).
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { useApp } from '@/lib/app-context';
import { moveActive, offered, personLabel, searchText } from '@/lib/collaborator-picker';
import type { DirectoryPerson } from '@/lib/types';

const SEARCH_DELAY_MS = 250;

export function CollaboratorPicker({
  chosen,
  onChange,
  ownerId,
}: {
  chosen: DirectoryPerson[];
  onChange: (people: DirectoryPerson[]) => void;
  ownerId?: string;
}) {
  const { api, t } = useApp();
  const id = useId().replace(/:/g, '');
  const inputId = `collaborator-search-${id}`;
  const listId = `collaborator-options-${id}`;
  const [typed, setTyped] = useState('');
  const [found, setFound] = useState<DirectoryPerson[] | null>(null);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [failed, setFailed] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const search = searchText(typed);
  useEffect(() => {
    if (search === null) {
      setFound(null);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api.userDirectory(search, { limit: 10, signal: controller.signal }).then(
        (answer) => {
          setFailed(false);
          setFound(answer.items);
          setActive(-1);
        },
        (error: unknown) => {
          if (error instanceof DOMException && error.name === 'AbortError') return;
          setFailed(true);
          setFound([]);
        },
      );
    }, SEARCH_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [api, search]);

  const options = offered(found ?? [], chosen, ownerId);
  const expanded = open && search !== null && found !== null;

  function add(person: DirectoryPerson) {
    onChange([...chosen, person]);
    setTyped('');
    setFound(null);
    setActive(-1);
    setOpen(false);
    input.current?.focus();
  }

  function remove(person: DirectoryPerson) {
    onChange(chosen.filter((other) => other.id !== person.id));
    input.current?.focus();
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'Escape') {
      if (expanded) event.preventDefault();
      setOpen(false);
      setActive(-1);
      return;
    }
    if (event.key === 'Enter') {
      event.preventDefault(); // never submits the form from the search box
      if (expanded && active >= 0 && options[active]) add(options[active]);
      return;
    }
    if ((event.key === 'Home' || event.key === 'End') && !expanded) return; // the caret moves in the text
    const next = moveActive(active, options.length, event.key);
    if (next === null) return;
    event.preventDefault();
    setOpen(true);
    setActive(next);
  }

  const status = failed
    ? t('people.searchFailed')
    : search === null || found === null
      ? ''
      : options.length === 0
        ? t('people.noneFound')
        : t('people.found', { count: options.length });

  return (
    <div className="collaborator-picker">
      <p id={`${listId}-chosen-label`} className="label">
        {t('people.collaborators')}
      </p>
      {chosen.length === 0 ? (
        <p className="muted">{t('people.noneChosen')}</p>
      ) : (
        <ul className="chosen-people" aria-labelledby={`${listId}-chosen-label`}>
          {chosen.map((person) => (
            <li key={person.id}>
              <span>{personLabel(person)}</span>{' '}
              <button type="button" className="button-secondary button-small" onClick={() => remove(person)} aria-label={t('people.remove', { name: person.display_name })}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="field combobox">
        <label htmlFor={inputId}>{t('people.add')}</label>
        <p className="hint" id={`${inputId}-hint`}>
          {t('people.addHint')}
        </p>
        <input
          ref={input}
          id={inputId}
          type="text"
          role="combobox"
          autoComplete="off"
          aria-autocomplete="list"
          aria-expanded={expanded}
          aria-controls={listId}
          aria-activedescendant={expanded && active >= 0 && options[active] ? `${listId}-${options[active].id}` : undefined}
          aria-describedby={`${inputId}-hint`}
          value={typed}
          onChange={(event) => {
            setTyped(event.target.value);
            setOpen(true);
          }}
          onKeyDown={onKeyDown}
          onBlur={() => setOpen(false)}
          onFocus={() => setOpen(true)}
        />
        <ul id={listId} role="listbox" aria-label={t('people.add')} className="combobox-options" hidden={!expanded || options.length === 0}>
          {options.map((person, index) => (
            <li
              key={person.id}
              id={`${listId}-${person.id}`}
              role="option"
              aria-selected={index === active}
              className={index === active ? 'active' : undefined}
              // mousedown, not click: the input keeps the focus (a blur would close the list first)
              onMouseDown={(event) => {
                event.preventDefault();
                add(person);
              }}
            >
              {person.display_name} <span className="muted">{person.email}</span>
            </li>
          ))}
        </ul>
        {/* One live region: announced always, shown too when nothing is offered. */}
        <p className={options.length === 0 && status ? 'hint' : 'visually-hidden'} role="status" aria-live="polite">
          {status}
        </p>
      </div>
    </div>
  );
}
