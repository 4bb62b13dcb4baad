import { describe, expect, it } from 'vitest';
import { describeTry, endpointState, lastTry } from './webhooks';
import type { WebhookTry } from './types';

const attempt = (overrides: Partial<WebhookTry>): WebhookTry => ({
  attempted_at: '2026-12-06T10:00:00Z',
  outcome: 'delivered',
  status_code: 204,
  latency_ms: 12,
  response_excerpt: null,
  error: null,
  ...overrides,
});

describe('endpointState', () => {
  it('tells an endpoint disabled after failures from one turned off by hand', () => {
    expect(endpointState({ enabled: false, disabled_reason: 'disabled after 15 failed tries in a row', consecutive_failures: 15 })).toBe('disabled');
    expect(endpointState({ enabled: false, disabled_reason: null, consecutive_failures: 0 })).toBe('off');
  });
  it('says an enabled endpoint is failing while its last tries failed', () => {
    expect(endpointState({ enabled: true, disabled_reason: null, consecutive_failures: 2 })).toBe('failing');
    expect(endpointState({ enabled: true, disabled_reason: null, consecutive_failures: 0 })).toBe('active');
  });
});

describe('tries', () => {
  it('takes the latest try, none before the first', () => {
    expect(lastTry({ tries: [] })).toBeNull();
    expect(lastTry({ tries: [attempt({ status_code: 500 }), attempt({ status_code: 204 })] })?.status_code).toBe(204);
  });
  it('describes a try by its code, or its outcome when there was no answer', () => {
    expect(describeTry(attempt({ status_code: 500, latency_ms: 31 }))).toBe('HTTP 500 · 31 ms');
    expect(describeTry(attempt({ outcome: 'timeout', status_code: null, latency_ms: 10000 }))).toBe('timeout · 10000 ms');
  });
});
