'use client';
/** The page frame: header with navigation, language switch, who is signed in and sign out; sign-in in place when there is no session. */
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { ReactNode } from 'react';
import { principalName, useApp, type Locale } from '@/lib/app-context';
import { SignIn } from './SignIn';
import { Alert, Loading } from './ui';

export function TopBar() {
  const { principal, t, locale, setLocale, signOut } = useApp();
  const pathname = usePathname() ?? '';
  // Navigation, name and sign out appear together once the gateway has said who this is: no link comes and goes.
  const all = [
    { href: '/proposals', label: t('nav.proposals'), active: pathname === '/proposals' || (pathname.startsWith('/proposals/') && pathname !== '/proposals/new'), adminOnly: false },
    { href: '/proposals/new', label: t('nav.new'), active: pathname === '/proposals/new', adminOnly: false },
    { href: '/library', label: t('nav.library'), active: pathname.startsWith('/library'), adminOnly: false },
    { href: '/templates', label: t('nav.templates'), active: pathname.startsWith('/templates'), adminOnly: false },
    { href: '/tokens', label: t('nav.tokens'), active: pathname.startsWith('/tokens'), adminOnly: true },
    { href: '/webhooks', label: t('nav.webhooks'), active: pathname.startsWith('/webhooks'), adminOnly: true },
    { href: '/approval-rules', label: t('nav.approvalRules'), active: pathname.startsWith('/approval-rules'), adminOnly: true },
    { href: '/users', label: t('nav.users'), active: pathname.startsWith('/users'), adminOnly: true },
    { href: '/audit', label: t('nav.audit'), active: pathname.startsWith('/audit'), adminOnly: true },
    { href: '/system', label: t('nav.system'), active: pathname.startsWith('/system'), adminOnly: false },
  ];
  const links = all.filter((link) => !link.adminOnly || principal?.admin);
  const name = principal ? principalName(principal) : '';
  // The client's share page is the consultancy's, not the app's: no app header, navigation or sign-in there.
  if (pathname === '/share' || pathname.startsWith('/share/')) return null;
  return (
    <>
      <a className="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link href="/proposals" className="brand">
            Propos<span>4</span>l
          </Link>
          {principal && (
            <nav aria-label={t('nav.main')} className="mainnav">
              <ul>
                {links.map((link) => (
                  <li key={link.href}>
                    <Link href={link.href} aria-current={link.active ? 'page' : undefined}>
                      {link.label}
                    </Link>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          <div className="topbar-tools">
            <label className="visually-hidden" htmlFor="locale">
              {t('lang.label')}
            </label>
            <select id="locale" value={locale} onChange={(event) => setLocale(event.target.value as Locale)}>
              <option value="pt-BR">Português (BR)</option>
              <option value="en">English</option>
            </select>
            {principal && (
              <>
                <span className="whoami" data-testid="signed-in-as" title={`${t('nav.signedInAs')} ${name}`}>
                  <svg aria-hidden="true" focusable="false" viewBox="0 0 16 16" width="14" height="14">
                    <circle cx="8" cy="5" r="3" fill="currentColor" />
                    <path d="M2 15c0-3.3 2.7-5.5 6-5.5s6 2.2 6 5.5z" fill="currentColor" />
                  </svg>
                  <span className="visually-hidden">{t('nav.signedInAs')} </span>
                  <span className="whoami-name">{name}</span>
                </span>
                <button type="button" className="button-secondary" onClick={() => signOut('signedOut')}>
                  {t('nav.signOut')}
                </button>
              </>
            )}
          </div>
        </div>
      </header>
    </>
  );
}

/** A page's main region: its title and content, or the sign-in form when there is no session. */
export function Shell({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  const { ready, signedIn, sessionError, retrySession, signOut, t } = useApp();
  return (
    <main id="main" className="container" tabIndex={-1}>
        {sessionError ? (
          <Alert
            action={
              <div className="row">
                <button type="button" onClick={retrySession}>
                  {t('common.retry')}
                </button>
                <button type="button" className="button-secondary" onClick={() => signOut('signedOut')}>
                  {t('nav.signOut')}
                </button>
              </div>
            }
          >
            {sessionError}
          </Alert>
        ) : !ready ? (
          <Loading />
        ) : signedIn ? (
          <>
            <div className="page-head">
              <h1>{title}</h1>
              {actions && <div className="page-actions">{actions}</div>}
            </div>
            {children}
          </>
        ) : (
          <SignIn />
        )}
    </main>
  );
}
