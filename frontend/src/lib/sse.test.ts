import { describe, expect, it, vi } from 'vitest';
import { SseParser, streamEvents, type ServerSentEvent } from './sse';

describe('SseParser', () => {
  it('parses events with id, type and data, skipping comments', () => {
    const parser = new SseParser();
    const events = parser.push(': ping\n\nid: 1\nevent: status\ndata: {"status": "queued"}\n\n');
    expect(events).toEqual([{ id: '1', event: 'status', data: '{"status": "queued"}' }]);
    expect(parser.lastId).toBe('1');
  });

  it('joins data lines and defaults the type to message', () => {
    expect(new SseParser().push('data: a\ndata: b\n\n')).toEqual([{ id: null, event: 'message', data: 'a\nb' }]);
  });

  it('assembles events split across chunks anywhere, CRLF included', () => {
    const parser = new SseParser();
    const text = 'id: 7\r\nevent: progress\r\ndata: {"text": "Olá"}\r\n\r\nid: 8\nevent: status\ndata: x\n\n';
    const events: ServerSentEvent[] = [];
    for (const character of text) events.push(...parser.push(character));
    expect(events.map((event) => [event.id, event.event, event.data])).toEqual([
      ['7', 'progress', '{"text": "Olá"}'],
      ['8', 'status', 'x'],
    ]);
  });

  it('does not dispatch an event without data and keeps the last id', () => {
    const parser = new SseParser();
    expect(parser.push('id: 3\n\n')).toEqual([]);
    expect(parser.lastId).toBe('3');
  });

  it('keeps a value with no space after the colon and a field with no colon', () => {
    expect(new SseParser().push('data:x\ndata\n\n')).toEqual([{ id: null, event: 'message', data: 'x\n' }]);
  });
});

function streamResponse(chunks: string[]): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

describe('streamEvents', () => {
  it('sends the bearer header and resumes with Last-Event-ID after a drop', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const calls: Array<Record<string, string>> = [];
    const fetchImpl = vi.fn(async (_url: RequestInfo | URL, init?: RequestInit) => {
      calls.push(init?.headers as Record<string, string>);
      if (calls.length === 1) return streamResponse(['id: 1\nevent: status\ndata: a\n\nid: 2\nevent: progress\ndata: b\n\n']);
      controller.abort();
      return streamResponse(['id: 3\nevent: status\ndata: c\n\n']);
    });
    await streamEvents('http://gateway/api/proposals/x/events', {
      headers: { Authorization: 'Bearer secret' },
      onEvent: (event) => seen.push(`${event.id}:${event.event}:${event.data}`),
      signal: controller.signal,
      retryDelayMs: 1,
      fetchImpl: fetchImpl as unknown as typeof fetch,
    });
    expect(calls[0]).toMatchObject({ Authorization: 'Bearer secret', Accept: 'text/event-stream' });
    expect(calls[0]?.['Last-Event-ID']).toBeUndefined();
    expect(calls[1]).toMatchObject({ Authorization: 'Bearer secret', 'Last-Event-ID': '2' });
    expect(seen.slice(0, 2)).toEqual(['1:status:a', '2:progress:b']);
  });

  it('gives up on a 4xx and reports it, so the caller can fall back to polling', async () => {
    const onRefused = vi.fn();
    const result = await streamEvents('u', {
      headers: {},
      onEvent: () => undefined,
      onRefused,
      signal: new AbortController().signal,
      fetchImpl: (async () => new Response('{}', { status: 404 })) as unknown as typeof fetch,
    });
    expect(result).toBe(false);
    expect(onRefused).toHaveBeenCalledWith(404);
  });

  it('returns false after the retries when the gateway cannot be reached', async () => {
    const fetchImpl = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    const onDisconnect = vi.fn();
    const result = await streamEvents('u', {
      headers: {},
      onEvent: () => undefined,
      onDisconnect,
      signal: new AbortController().signal,
      retryDelayMs: 1,
      maxRetries: 2,
      fetchImpl: fetchImpl as unknown as typeof fetch,
    });
    expect(result).toBe(false);
    expect(fetchImpl).toHaveBeenCalledTimes(3);
  });
});
