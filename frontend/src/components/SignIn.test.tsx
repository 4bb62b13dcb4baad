import { screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { format, messages } from '@/lib/messages';
import { jsonResponse, renderApp } from '@/test-utils';
import { Shell } from './Shell';
import { ssoErrorText } from './SignIn';

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const en = (key: keyof (typeof messages)['en'], values?: Record<string, string | number>) => format(messages.en[key], values);

describe('a failed single sign-on', () => {
  it('is worded on the sign-in page from the code the gateway sends back, which then leaves the address', async () => {
    window.history.replaceState(null, '', '/proposals?sso_error=oidc_state_invalid&x=1');
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse({ password: true, sso: true })));
    renderApp(
      <Shell title="Propostas">
        <p>nada</p>
      </Shell>,
    );
    expect(await screen.findByText('A entrada por SSO não deu certo.')).toBeTruthy();
    expect(screen.getByText(/não foi iniciada neste navegador/)).toBeTruthy();
    expect(window.location.search).toBe('?x=1');
    expect((await screen.findByRole('link', { name: 'Entrar com SSO' })).getAttribute('href')).not.toContain('sso_error');
  });

  it('names a code it has no words for, and words every code the gateway sends', () => {
    expect(ssoErrorText('oidc_new_reason', en)).toBe('Reason: oidc_new_reason.');
    for (const code of ['oidc_denied', 'oidc_state_invalid', 'oidc_code_rejected', 'oidc_token_invalid', 'oidc_email_missing', 'oidc_domain_not_allowed', 'oidc_account_disabled', 'sso_not_configured', 'oidc_unavailable', 'oidc_misconfigured']) {
      expect(ssoErrorText(code, en)).not.toContain('Reason:');
    }
  });
});
