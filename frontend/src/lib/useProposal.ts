'use client';
/** A proposal kept current: Server-Sent Events over fetch (resumed with Last-Event-ID), polling as the fallback. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api';
import { useApp } from './app-context';
import { streamEvents } from './sse';
import type { ProgressEvent, Proposal, StatusEvent, Version } from './types';

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'polling';

export interface LiveDraft {
  version: number;
  current: string | null;
  completed: string[];
  texts: Record<string, { title: string | null; text: string }>;
  characters: number;
  /** Set while the model server does not answer (the generator says when it tries again); cleared by new text. */
  notice: string | null;
}

export function isBusy(status: string | undefined): boolean {
  return status === 'queued' || status === 'generating' || status === 'rendering';
}

export function applyProgress(draft: LiveDraft | null, event: ProgressEvent): LiveDraft {
  const base: LiveDraft = draft && draft.version === event.version ? draft : { version: event.version, current: null, completed: [], texts: {}, characters: 0, notice: null };
  if (event.notice) return { ...base, notice: event.notice };
  const texts = { ...base.texts };
  if (event.section) texts[event.section] = { title: event.title, text: event.text };
  return { version: event.version, current: event.section, completed: event.completed, texts, characters: event.characters, notice: null };
}

export function useProposal(id: string) {
  const { api, describeError } = useApp();
  const [proposal, setProposal] = useState<Proposal | null>(null);
  const [versions, setVersions] = useState<Version[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState<LiveDraft | null>(null);
  const [connection, setConnection] = useState<Connection>('connecting');
  const statusRef = useRef<string | undefined>(undefined);

  const refresh = useCallback(async () => {
    try {
      const [next, history] = await Promise.all([api.getProposal(id), api.listVersions(id).catch(() => ({ items: [] as Version[] }))]);
      statusRef.current = next.status;
      setProposal(next);
      setVersions(history.items);
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, [api, id]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useEffect(() => {
    const controller = new AbortController();
    let pollTimer: ReturnType<typeof setInterval> | null = null;
    const startPolling = () => {
      setConnection('polling');
      pollTimer ??= setInterval(() => void refresh(), 2000);
    };
    void streamEvents(api.eventsUrl(id), {
      headers: api.authHeaders(),
      signal: controller.signal,
      maxRetries: 3,
      onOpen: () => setConnection('live'),
      onDisconnect: () => setConnection('reconnecting'),
      onRefused: (status) => {
        if (status === 401) void api.getProposal(id).catch(() => undefined); // lets the client end the session
      },
      onEvent: (event) => {
        try {
          if (event.event === 'status') {
            const data = JSON.parse(event.data) as StatusEvent;
            const changed = data.status !== statusRef.current;
            statusRef.current = data.status;
            setProposal((current) => (current ? { ...current, status: data.status, version: data.version, error: data.error } : current));
            if (changed) void refresh();
          } else if (event.event === 'progress') {
            const data = JSON.parse(event.data) as ProgressEvent;
            setLive((current) => applyProgress(current, data));
          }
        } catch {
          // a malformed event is skipped; polling state stays right
        }
      },
    }).then((ended) => {
      if (!controller.signal.aborted && !ended) startPolling();
    });
    return () => {
      controller.abort();
      if (pollTimer) clearInterval(pollTimer);
    };
  }, [api, id, refresh]);

  const notFound = error instanceof ApiError && error.kind === 'not_found';
  return { proposal, versions, live, connection, refresh, error: error ? describeError(error) : null, notFound };
}
