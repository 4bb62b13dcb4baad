/** Server-Sent Events over fetch(): a parser for the wire format and a reconnecting reader that sends headers. */

export interface ServerSentEvent {
  id: string | null;
  event: string;
  data: string;
}

/** Incremental parser of the text/event-stream format (WHATWG HTML, "Parsing an event stream"). */
export class SseParser {
  private buffer = '';
  private dataLines: string[] = [];
  private eventType = '';
  private lastEventId: string | null = null;
  private sawId = false;

  /** The id of the last event seen, to resume with Last-Event-ID. */
  get lastId(): string | null {
    return this.lastEventId;
  }

  /** Feed a chunk of text; returns the events it completed. */
  push(chunk: string): ServerSentEvent[] {
    this.buffer += chunk;
    const events: ServerSentEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): ServerSentEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventType = value;
    else if (field === 'id' && !value.includes('\u0000')) {
      this.lastEventId = value;
      this.sawId = true;
    }
    return null;
  }

  private dispatch(): ServerSentEvent | null {
    const hadData = this.dataLines.length > 0;
    const event: ServerSentEvent = {
      id: this.sawId ? this.lastEventId : null,
      event: this.eventType || 'message',
      data: this.dataLines.join('\n'),
    };
    this.dataLines = [];
    this.eventType = '';
    this.sawId = false;
    return hadData ? event : null;
  }
}

export interface StreamOptions {
  headers: Record<string, string>;
  onEvent: (event: ServerSentEvent) => void;
  /** Called with the HTTP status when the server refuses the stream (no retry for 4xx). */
  onRefused?: (status: number) => void;
  /** Called whenever the connection drops, before a retry. */
  onDisconnect?: () => void;
  onOpen?: () => void;
  signal: AbortSignal;
  lastEventId?: string | null;
  retryDelayMs?: number;
  maxRetries?: number;
  fetchImpl?: typeof fetch;
}

/**
 * Read an SSE endpoint with fetch() so that the Authorization header can be sent, reconnecting with
 * Last-Event-ID. Resolves when aborted, refused, or when retries are exhausted (returns false then).
 */
export async function streamEvents(url: string, options: StreamOptions): Promise<boolean> {
  const fetchImpl = options.fetchImpl ?? fetch;
  let lastId = options.lastEventId ?? null;
  let failures = 0;
  const maxRetries = options.maxRetries ?? 5;
  while (!options.signal.aborted) {
    const parser = new SseParser();
    try {
      const headers: Record<string, string> = { ...options.headers, Accept: 'text/event-stream' };
      if (lastId) headers['Last-Event-ID'] = lastId;
      const response = await fetchImpl(url, { headers, signal: options.signal, cache: 'no-store' });
      if (response.status >= 400 && response.status < 500) {
        options.onRefused?.(response.status);
        return false;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      options.onOpen?.();
      failures = 0;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const event of parser.push(value)) {
          if (event.id !== null) lastId = event.id;
          options.onEvent(event);
        }
      }
    } catch (error) {
      if (options.signal.aborted) return true;
      failures += 1;
    }
    if (options.signal.aborted) return true;
    options.onDisconnect?.();
    if (failures > maxRetries) return false;
    await sleep(options.retryDelayMs ?? 1000 * Math.min(failures + 1, 5), options.signal);
  }
  return true;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
