import { redirect } from 'next/navigation';

/** The proposals; a failed single sign-on comes back here with `sso_error`, which the sign-in page words. */
export default function Home({ searchParams }: { searchParams?: { sso_error?: string | string[] } }) {
  const code = searchParams?.sso_error;
  redirect(typeof code === 'string' && code ? `/proposals?sso_error=${encodeURIComponent(code)}` : '/proposals');
}
