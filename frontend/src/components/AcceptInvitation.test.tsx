import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderApp } from '@/test-utils';
import { AcceptInvitation } from './AcceptInvitation';

afterEach(() => {
  vi.unstubAllGlobals();
  window.location.hash = '';
});

describe('accepting an invitation', () => {
  it('sends the secret from the link fragment with the chosen password, and words a used invitation', async () => {
    window.location.hash = '#the-secret-of-the-link-123';
    const fetchMock = vi.fn(async (_url: string, _init?: RequestInit) =>
      jsonResponse({ type: 'about:blank', title: 'Gone', status: 410, detail: 'used', code: 'invitation_invalid' }, 410),
    );
    vi.stubGlobal('fetch', fetchMock);
    renderApp(<AcceptInvitation />);
    fireEvent.change(await screen.findByLabelText('Senha'), { target: { value: 'a long passphrase 42' } });
    await waitFor(() => expect((screen.getByRole('button', { name: 'Criar senha e entrar' }) as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByRole('button', { name: 'Criar senha e entrar' }));
    expect(await screen.findByText(/Este convite não vale mais/)).toBeTruthy();
    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(url).toBe('http://gateway.test/api/auth/invitations/accept');
    expect(JSON.parse(String(init?.body))).toEqual({ token: 'the-secret-of-the-link-123', password: 'a long passphrase 42' });
  });
});
