import { describe, expect, it } from 'vitest';
import { messages } from './messages';
import { anchorKey, mentionsIn, REVIEW_STATES, reviewActions, reviewErrorKey, ruleBody, ruleForm, threadsByAnchor, EMPTY_RULE, type Thread } from './review';

function thread(id: string, kind: Thread['anchor_kind'], anchor: string, resolved = false): Thread {
  return { id, anchor_kind: kind, anchor, version: 1, resolved, resolved_by: null, resolved_at: null, created_by: null, created_at: '2026-12-06T10:00:00Z', comments: [] };
}

describe('reviewActions', () => {
  it('offers submit from a draft and request changes from review', () => {
    expect(reviewActions({ state: 'draft', next_states: ['in_review'], open_threads: 0 }).map((a) => a.label)).toEqual(['review.action.submit']);
    expect(reviewActions({ state: 'in_review', next_states: ['draft'], open_threads: 0 }).map((a) => a.label)).toEqual(['review.action.requestChanges']);
  });

  it('asks a manager for a reason to approve over open threads, and not without them', () => {
    const blocked = reviewActions({ state: 'in_review', next_states: ['draft', 'approved', 'withdrawn'], open_threads: 2 });
    expect(blocked.find((a) => a.to === 'approved')).toEqual({ to: 'approved', label: 'review.action.approveOverride', reason: 'required', override: true });
    const clear = reviewActions({ state: 'in_review', next_states: ['approved'], open_threads: 0 });
    expect(clear).toEqual([{ to: 'approved', label: 'review.action.approve', reason: 'optional', override: false }]);
  });

  it('calls going back from approved a reopening, and offers nothing the gateway does not list', () => {
    expect(reviewActions({ state: 'approved', next_states: ['draft', 'withdrawn'], open_threads: 0 }).map((a) => a.label)).toEqual(['review.action.reopen', 'review.action.withdraw']);
    expect(reviewActions({ state: 'sent', next_states: [], open_threads: 0 })).toEqual([]);
  });
});

describe('threadsByAnchor', () => {
  it('groups threads by their place with open ones first', () => {
    const groups = threadsByAnchor([thread('a', 'section', 'scope', true), thread('b', 'section', 'scope'), thread('c', 'proposal', ''), thread('d', 'requirement', 'REQ-1')]);
    expect(groups.get(anchorKey('section', 'scope'))?.map((t) => t.id)).toEqual(['b', 'a']);
    expect(groups.get(anchorKey('proposal', 'ignored'))?.map((t) => t.id)).toEqual(['c']);
    expect(groups.get('requirement:REQ-1')?.map((t) => t.id)).toEqual(['d']);
  });
});

describe('mentionsIn', () => {
  it('reads @e-mail and @[Full Name] as the gateway does, once each', () => {
    expect(mentionsIn('Ping @Ana@Example.com and @[Carla Dias], again @ana@example.com')).toEqual(['ana@example.com', 'Carla Dias']);
    expect(mentionsIn('write to ana@example.com or @ nobody')).toEqual([]);
  });
});

describe('reviewErrorKey', () => {
  it('words the stable codes of refused moves and leaves others to the generic wording', () => {
    expect(reviewErrorKey('review_open_threads')).toBe('review.error.openThreads');
    expect(reviewErrorKey('mention_unknown')).toBe('review.error.mention');
    expect(reviewErrorKey('something_else')).toBeNull();
    expect(reviewErrorKey(undefined)).toBeNull();
  });
});

describe('ruleBody', () => {
  it('builds a discount rule and refuses one above 100%', () => {
    expect(ruleBody({ ...EMPTY_RULE, name: ' Deep ', threshold: '15,5' })).toEqual({ body: { name: 'Deep', kind: 'discount_above', threshold: '15.5', currency: null, value: null, enabled: true } });
    expect(ruleBody({ ...EMPTY_RULE, name: 'x', threshold: '101' })).toEqual({ problems: { threshold: 'rules.error.percent' } });
  });

  it('needs a value for a template or industry rule, and a three-letter currency when one is given', () => {
    expect(ruleBody({ ...EMPTY_RULE, name: '', kind: 'industry' })).toEqual({ problems: { name: 'rules.error.name', value: 'rules.error.value' } });
    expect(ruleBody({ ...EMPTY_RULE, name: 'Big', kind: 'total_above', threshold: '100000', currency: 'reais' })).toEqual({ problems: { currency: 'rules.error.currency' } });
    expect(ruleBody({ ...EMPTY_RULE, name: 'Big', kind: 'total_above', threshold: '100000', currency: 'brl' })).toEqual({ body: { name: 'Big', kind: 'total_above', threshold: '100000', currency: 'BRL', value: null, enabled: true } });
  });

  it('round-trips a stored rule through its form', () => {
    const stored = { id: '1', name: 'Banks', kind: 'industry' as const, threshold: null, currency: null, value: 'Banking', enabled: false, created_at: '', updated_at: '' };
    expect(ruleBody(ruleForm(stored))).toEqual({ body: { name: 'Banks', kind: 'industry', threshold: null, currency: null, value: 'Banking', enabled: false } });
  });
});

describe('review messages', () => {
  it('name every review state in both languages', () => {
    for (const language of ['pt-BR', 'en'] as const) {
      for (const state of REVIEW_STATES) expect(messages[language][`review.state.${state}`]).toBeTruthy();
    }
    expect(messages['pt-BR']['review.state.in_review']).toBe('Em revisão');
  });
});
