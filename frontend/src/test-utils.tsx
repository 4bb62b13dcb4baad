import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { vi } from 'vitest';
import { AppProvider } from '@/lib/app-context';
import type { Principal } from '@/lib/types';

vi.mock('next/navigation', () => ({
  useRouter: () => ({ push: vi.fn(), replace: vi.fn(), back: vi.fn() }),
  usePathname: () => '/proposals',
}));

/** Render inside the app's provider; `token` signs in first. */
export function renderApp(ui: ReactElement, { token, locale }: { token?: string; locale?: 'pt-BR' | 'en' } = {}) {
  if (token) window.sessionStorage.setItem('propos4l.token', token);
  if (locale) window.localStorage.setItem('propos4l.locale', locale);
  return render(<AppProvider apiUrl="http://gateway.test">{ui}</AppProvider>);
}

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } });
}

export const ADMIN: Principal = { name: 'admin', admin: true };
export const SELLER: Principal = { name: 'token:Vendedora', admin: false };

type FetchHandler = (url: string, init?: RequestInit) => Response | Promise<Response>;

/** A fetch fake: `GET /api/me` answers `principal`, every other call goes to `rest`. */
export function withMe(rest: FetchHandler, principal: Principal = ADMIN) {
  return vi.fn(async (url: string, init?: RequestInit) => (new URL(url).pathname === '/api/me' ? jsonResponse(principal) : rest(url, init)));
}
