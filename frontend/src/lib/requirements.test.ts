import { describe, expect, it } from 'vitest';
import { ApiClient } from './api';
import { messages, type MessageKey } from './messages';
import { documentProgress, formatDay, mandatorySummary, RequirementsApi, reviewPending, stillReading, type ClientDocument, type ComplianceStatus, type RequirementRow } from './requirements';

function translate(locale: 'pt-BR' | 'en') {
  return (key: MessageKey, values: Record<string, string | number> = {}) =>
    messages[locale][key].replace(/\{(\w+)\}/g, (_, name: string) => String(values[name]));
}

function doc(overrides: Partial<ClientDocument>): ClientDocument {
  return {
    id: 'd1', filename: 'edital.pdf', media_type: 'application/pdf', sha256: 'ab', size_bytes: 10, status: 'uploaded',
    pages_total: null, pages_done: 0, ocr_pages: 0, requirement_count: 0, request_fields: null, failure_code: null,
    failure_reason: null, uploaded_by: 'admin', created_at: '2026-12-06T00:00:00Z', read_at: null, ...overrides,
  };
}

function row(obligation: 'mandatory' | 'desirable', status: ComplianceStatus | null): RequirementRow {
  return {
    id: 'REQ-0123456789AB', quote: 'A CONTRATADA deverá…', obligation, kind: 'technical', document_id: 'd1',
    location: { file: 'edital.pdf', page: 3, clause: '5.1' }, also_at: [], heading: null, classified_by: 'rules',
    compliance: status ? { status, note: '', sections: [], version: 1, changed_by: 'admin', changed_at: '2026-12-06T00:00:00Z' } : null,
  };
}

describe('client documents and the compliance matrix', () => {
  it('words a document’s reading in pt-BR and en, as the proposal’s events say it', () => {
    const pt = translate('pt-BR');
    const en = translate('en');
    expect(documentProgress(doc({ status: 'reading', pages_done: 34, pages_total: 120 }), pt)).toBe('lendo a página 34 de 120');
    expect(documentProgress(doc({ status: 'reading', pages_done: 34, pages_total: 120 }), en)).toBe('reading page 34 of 120');
    expect(documentProgress(doc({ status: 'read', requirement_count: 57 }), pt)).toBe('57 requisitos encontrados · revisão do modelo em andamento');
    expect(documentProgress(doc({ status: 'read', requirement_count: 1 }), en)).toBe('1 requirement found · model review under way');
    expect(documentProgress(doc({ status: 'failed', failure_code: 'encrypted', failure_reason: 'protegido por senha' }), pt)).toBe(
      'não foi possível ler: protegido por senha',
    );
    expect(documentProgress(doc({ status: 'read', requirement_count: 0, review: null }), en)).toBe('0 requirements found');
    expect(stillReading([doc({ status: 'read' }), doc({ status: 'reading' })])).toBe(true);
    expect(stillReading([doc({ status: 'read' }), doc({ status: 'failed' })])).toBe(false);
  });

  it('tells a read document whose model review has not answered yet (only when the rules found requirements)', () => {
    const review = { model: 'm', relabelled: 0, merged: 0, confirmed: 0, ignored: 0, failed_batches: 0, batches: 1, skipped: null, reviewed_at: '2026-12-06T00:00:00Z' };
    expect(reviewPending([doc({ status: 'read', requirement_count: 3, review: null })])).toBe(true);
    expect(reviewPending([doc({ status: 'read', requirement_count: 3, review })])).toBe(false);
    expect(reviewPending([doc({ status: 'read', requirement_count: 0, review: null })])).toBe(false);
    expect(reviewPending([doc({ status: 'reading', requirement_count: 3, review: null })])).toBe(false);
  });

  it('shows a document’s date as the day it names, whatever the time zone', () => {
    expect(formatDay('2027-03-10', 'pt-BR')).toBe('10 de mar. de 2027');
    expect(formatDay('2027-03-10', 'en')).toBe('Mar 10, 2027');
  });

  it('counts the mandatory requirements answered', () => {
    expect(mandatorySummary([row('mandatory', 'answered'), row('mandatory', 'partial'), row('mandatory', null), row('desirable', 'answered')])).toEqual({
      answered: 1,
      mandatory: 3,
    });
  });

  it('calls the gateway’s paths with the token: attach as multipart, compliance as JSON', async () => {
    const calls: { method: string; url: string; body: unknown; auth: string | null }[] = [];
    const fetchImpl: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      calls.push({ method: init?.method ?? 'GET', url: String(input), body: init?.body, auth: headers.get('Authorization') });
      const payload = String(input).endsWith('/documents') && init?.method !== 'POST' ? { items: [] } : { id: 'x' };
      return new Response(JSON.stringify(payload), { status: init?.method === 'POST' ? 201 : 200 });
    };
    const api = new RequirementsApi(new ApiClient({ baseUrl: 'http://gw:8000/', token: 'tok', fetchImpl }), 'p-1');
    await api.attach(new Blob(['%PDF-1.7']), 'edital.pdf');
    await api.documents();
    await api.matrix(2);
    await api.setCompliance('REQ-0123456789AB', { status: 'answered', note: 'ok', sections: ['solution'] });
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      'POST http://gw:8000/api/proposals/p-1/documents',
      'GET http://gw:8000/api/proposals/p-1/documents',
      'GET http://gw:8000/api/proposals/p-1/requirements?version=2',
      'PUT http://gw:8000/api/proposals/p-1/requirements/REQ-0123456789AB/compliance',
    ]);
    expect(calls[0]!.body).toBeInstanceOf(FormData);
    expect(JSON.parse(String(calls[3]!.body))).toEqual({ status: 'answered', note: 'ok', sections: ['solution'] });
    expect(calls.every((call) => call.auth === 'Bearer tok')).toBe(true);
  });
});
