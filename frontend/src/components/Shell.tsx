'use client';
/** The page frame: header with navigation, language switch and sign out; sign-in in place when there is no session. */
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { ReactNode } from 'react';
import { useApp, type Locale } from '@/lib/app-context';
import { SignIn } from './SignIn';
import { Loading } from './ui';

export function TopBar() {
  const { token, t, locale, setLocale, signOut } = useApp();
  const pathname = usePathname() ?? '';
  const links = [
    { href: '/proposals', label: t('nav.proposals'), active: pathname === '/proposals' || (pathname.startsWith('/proposals/') && pathname !== '/proposals/new') },
    { href: '/proposals/new', label: t('nav.new'), active: pathname === '/proposals/new' },
    { href: '/templates', label: t('nav.templates'), active: pathname.startsWith('/templates') },
    { href: '/tokens', label: t('nav.tokens'), active: pathname.startsWith('/tokens') },
    { href: '/system', label: t('nav.system'), active: pathname.startsWith('/system') },
  ];
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
          {token && (
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
            {token && (
              <button type="button" className="button-secondary" onClick={() => signOut('signedOut')}>
                {t('nav.signOut')}
              </button>
            )}
          </div>
        </div>
      </header>
    </>
  );
}

/** A page's main region: its title and content, or the sign-in form when there is no session. */
export function Shell({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  const { ready, token } = useApp();
  return (
    <main id="main" className="container" tabIndex={-1}>
        {!ready ? (
          <Loading />
        ) : token ? (
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
