import { describe, expect, it } from 'vitest';
import { auditFilterErrors, auditQuery, detailsLine, NO_FILTERS } from './audit';

describe('the audit filters', () => {
  it('send only what is set, times as instants, and the page to start before', () => {
    const query = auditQuery({ ...NO_FILTERS, action: ' user.invited ', objectType: 'proposal', since: '2026-12-01T09:30' }, 812, 25);
    expect(query.get('action')).toBe('user.invited');
    expect(query.get('object_type')).toBe('proposal');
    expect(query.get('since')).toBe(new Date('2026-12-01T09:30').toISOString());
    expect(query.get('before')).toBe('812');
    expect(query.get('limit')).toBe('25');
    expect(query.has('actor')).toBe(false);
    expect(query.has('until')).toBe(false);
  });

  it('catch an actor that is not an id and a period that ends before it starts', () => {
    expect(auditFilterErrors({ ...NO_FILTERS, actor: 'ana@example.com' })).toEqual({ actor: 'uuid' });
    expect(auditFilterErrors({ ...NO_FILTERS, since: '2026-12-02T00:00', until: '2026-12-01T00:00' })).toEqual({ until: 'order' });
    expect(auditFilterErrors({ ...NO_FILTERS, actor: '0b5e7c1e-8a51-4d0e-9f58-3d1c2a4b5e6f', since: '2026-12-01T00:00' })).toEqual({});
  });

  it('show details in one line, long values cut', () => {
    expect(detailsLine({ role: 'admin', emailed: false, note: 'x'.repeat(100) })).toBe(`role: admin · emailed: false · note: ${'x'.repeat(79)}…`);
  });
});
