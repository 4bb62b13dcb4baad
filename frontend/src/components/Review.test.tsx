import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderApp, withMe } from '@/test-utils';
import type { Principal } from '@/lib/types';
import type { Review, Thread } from '@/lib/review';
import { ReviewPanel, useReview } from './Review';
import { Shell } from './Shell';

afterEach(() => vi.unstubAllGlobals());

const MANAGER: Principal = { name: 'carla@example.com', admin: false, role: 'manager', via: 'session' } as Principal;

function review(overrides: Partial<Review> = {}): Review {
  return {
    proposal_id: 'p-1',
    state: 'in_review',
    version: 1,
    approved_version: null,
    sent_version: null,
    approval_required: true,
    approval_rules: [{ rule_id: 'r-1', name: 'Deep discounts', kind: 'discount_above', reason: 'discount 20.00% is above 15.00%', threshold: '15.00', value: null, actual: '20.00', currency: null }],
    open_threads: 1,
    next_states: ['draft', 'approved', 'withdrawn'],
    transitions: [],
    ...overrides,
  };
}

const THREAD: Thread = {
  id: 't-1',
  anchor_kind: 'proposal',
  anchor: '',
  version: 1,
  resolved: false,
  resolved_by: null,
  resolved_at: null,
  created_by: null,
  created_at: '2026-12-06T10:00:00Z',
  comments: [{ id: 'c-1', author_user_id: null, author: 'Ana Souza', body: 'Is the scope too wide?', mentions: [], created_at: '2026-12-06T10:00:00Z' }],
};

function Panel() {
  const data = useReview('p-1', 'v1');
  return <ReviewPanel data={data} onChanged={() => undefined} />;
}

describe('the review panel', () => {
  it('shows the matched rules and open threads, and approves over them only with a reason', async () => {
    const posted: unknown[] = [];
    let current = review();
    vi.stubGlobal(
      'fetch',
      withMe(async (url, init) => {
        const path = new URL(url).pathname;
        if (path === '/api/proposals/p-1/review') return jsonResponse(current);
        if (path === '/api/proposals/p-1/threads') return jsonResponse({ items: [THREAD], open: 1 });
        if (path === '/api/proposals/p-1/transitions' && init?.method === 'POST') {
          posted.push(JSON.parse(String(init.body)));
          current = review({ state: 'approved', approved_version: 1, next_states: ['draft', 'withdrawn'] });
          return jsonResponse(current);
        }
        return jsonResponse({}, 404);
      }, MANAGER),
    );
    renderApp(
      <Shell title="Proposta">
        <Panel />
      </Shell>,
      { token: 'manager-token', locale: 'en' },
    );
    expect(await screen.findByText('Deep discounts')).toBeTruthy();
    expect(screen.getByTestId('approval-required').textContent).toContain('Deep discounts: discount of 20% above 15%');
    expect(screen.getByTestId('open-threads').textContent).toContain('1 open thread(s).');
    expect(screen.getByText('Is the scope too wide?')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Approve despite open threads' }));
    fireEvent.click(screen.getByRole('button', { name: 'Approve despite open threads' }));
    expect(await screen.findByText('Approving over open threads needs a reason.')).toBeTruthy();
    expect(posted).toEqual([]);

    fireEvent.change(screen.getByLabelText('Reason (required: it is recorded)'), { target: { value: 'Client deadline today' } });
    fireEvent.click(screen.getByRole('button', { name: 'Approve despite open threads' }));
    await waitFor(() => expect(posted).toEqual([{ to: 'approved', reason: 'Client deadline today', override: true }]));
    expect(await screen.findByText('Review state: Approved.')).toBeTruthy();
    expect(screen.getByText('Version 1 approved.')).toBeTruthy();
  });

  it('words a refused move by its code', async () => {
    vi.stubGlobal(
      'fetch',
      withMe(async (url, init) => {
        const path = new URL(url).pathname;
        if (path === '/api/proposals/p-1/review') return jsonResponse(review({ open_threads: 0 }));
        if (path === '/api/proposals/p-1/threads') return jsonResponse({ items: [], open: 0 });
        if (path === '/api/proposals/p-1/transitions' && init?.method === 'POST') {
          return jsonResponse({ title: 'Conflict', status: 409, detail: '1 comment thread(s) are still open', code: 'review_open_threads' }, 409);
        }
        return jsonResponse({}, 404);
      }, MANAGER),
    );
    renderApp(
      <Shell title="Proposta">
        <Panel />
      </Shell>,
      { token: 'manager-token', locale: 'pt-BR' },
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Aprovar' }));
    fireEvent.click(screen.getByRole('button', { name: 'Aprovar' }));
    expect(await screen.findByText('Há conversas abertas: resolva-as, ou (gerentes) aprove mesmo assim com um motivo.')).toBeTruthy();
  });
});
