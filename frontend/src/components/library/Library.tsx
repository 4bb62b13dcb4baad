'use client';
/**
 * The Library page: a tab list (arrow keys, Home and End move between tabs, as the WAI-ARIA tabs pattern says) over
 * the company profile, services, rate card, people, case studies, documents, search and stale entries. The open tab
 * (and an entry to edit) is kept in the address, `/library?tab=people&edit=<id>`, so a link can point at it.
 */
import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useApp } from '@/lib/app-context';
import { CaseStudiesTab, ServicesTab } from './Catalogue';
import { CompanyTab } from './Company';
import { DocumentsTab } from './Documents';
import { PeopleTab } from './People';
import { RateCardTab } from './RateCard';
import { SearchTab } from './Search';
import { LIBRARY_TABS, StaleTab, type LibraryTab } from './Stale';

function isTab(value: string | null): value is LibraryTab {
  return value !== null && (LIBRARY_TABS as readonly string[]).includes(value);
}

export function Library({ pollMs }: { pollMs?: number }) {
  const { t } = useApp();
  const [tab, setTab] = useState<LibraryTab>('company');
  const [editId, setEditId] = useState<string | null>(null);
  const tabs = useRef<Record<string, HTMLButtonElement | null>>({});

  useEffect(() => {
    const params = new URLSearchParams(window.location.search);
    const wanted = params.get('tab');
    if (isTab(wanted)) setTab(wanted);
    setEditId(params.get('edit'));
  }, []);

  const select = useCallback((next: LibraryTab, edit: string | null = null, focus = false) => {
    setTab(next);
    setEditId(edit);
    window.history.replaceState(window.history.state, '', `/library?tab=${next}${edit ? `&edit=${encodeURIComponent(edit)}` : ''}`);
    if (focus) tabs.current[next]?.focus();
  }, []);

  const onEditHandled = useCallback(() => setEditId(null), []);

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const index = LIBRARY_TABS.indexOf(tab);
    const last = LIBRARY_TABS.length - 1;
    const target = { ArrowRight: index === last ? 0 : index + 1, ArrowLeft: index === 0 ? last : index - 1, Home: 0, End: last }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    select(LIBRARY_TABS[target] ?? 'company', null, true);
  }

  const panel = (name: LibraryTab) => {
    const edit = { editId, onEditHandled };
    switch (name) {
      case 'company':
        return <CompanyTab />;
      case 'services':
        return <ServicesTab {...edit} />;
      case 'rates':
        return <RateCardTab {...edit} />;
      case 'people':
        return <PeopleTab {...edit} />;
      case 'case-studies':
        return <CaseStudiesTab {...edit} />;
      case 'documents':
        return <DocumentsTab pollMs={pollMs} />;
      case 'search':
        return <SearchTab />;
      case 'stale':
        return <StaleTab onEdit={(next, id) => select(next, id)} />;
    }
  };

  return (
    <div className="library">
      <p className="muted">{t('library.intro')}</p>
      <div role="tablist" aria-label={t('library.tabs')} className="tabs" onKeyDown={onKeyDown}>
        {LIBRARY_TABS.map((name) => (
          <button
            key={name}
            ref={(element) => {
              tabs.current[name] = element;
            }}
            type="button"
            role="tab"
            id={`library-tab-${name}`}
            aria-selected={tab === name}
            aria-controls={`library-panel-${name}`}
            tabIndex={tab === name ? 0 : -1}
            className="tab"
            onClick={() => select(name)}
          >
            {t(`library.tab.${name}`)}
          </button>
        ))}
      </div>
      {LIBRARY_TABS.map((name) => (
        <div key={name} role="tabpanel" id={`library-panel-${name}`} aria-labelledby={`library-tab-${name}`} hidden={tab !== name} tabIndex={0} className="tab-panel">
          {tab === name && panel(name)}
        </div>
      ))}
    </div>
  );
}
