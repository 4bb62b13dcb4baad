import { describe, expect, it } from 'vitest';
import { fill, money, ShareClient, ShareError, shareErrorText, shareWords, textColourOn } from './share';

function answering(status: number, body: unknown, headers: Record<string, string> = {}) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
  }) as unknown as typeof fetch;
  return { calls, fetchImpl };
}

describe('the share page client', () => {
  it('calls the public route of its token without cookies, with the access code once given', async () => {
    const { calls, fetchImpl } = answering(200, { version: 1 });
    const client = new ShareClient('http://gateway:8000/', 'tok/en', null, fetchImpl);
    await client.open();
    await client.withCode('ABC-1234').open();
    expect(calls[0]?.url).toBe('http://gateway:8000/api/public/share/tok%2Fen');
    expect(calls[0]?.init.credentials).toBe('omit');
    expect((calls[0]?.init.headers as Record<string, string>)['X-Access-Code']).toBeUndefined();
    expect((calls[1]?.init.headers as Record<string, string>)['X-Access-Code']).toBe('ABC-1234');
  });

  it('turns a problem into its code and Retry-After', async () => {
    const { fetchImpl } = answering(429, { code: 'access_code_throttled' }, { 'Retry-After': '120' });
    const error = await new ShareClient('http://g', 't', 'x', fetchImpl).open().catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ShareError);
    expect(shareErrorText(error, shareWords('pt-BR'))).toBe('Muitas tentativas com código errado. Tente de novo em 120 s.');
    expect(shareErrorText(new ShareError('share_link_expired', 410), shareWords('en'))).toMatch(/expired/);
  });

  it('sends a decline with its reason and an acceptance without one', async () => {
    const { calls, fetchImpl } = answering(200, { decision: 'declined' });
    const client = new ShareClient('http://g', 't', null, fetchImpl);
    await client.answer('decline', { name: 'Ana', email: 'ana@x.example', reason: 'Budget' , note: 'ignored' });
    await client.answer('accept', { name: 'Ana', email: 'ana@x.example', role: 'CTO', note: 'Ok', reason: 'ignored' });
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({ name: 'Ana', email: 'ana@x.example', reason: 'Budget' });
    expect(calls[1]?.url).toBe('http://g/api/public/share/t/accept');
    expect(JSON.parse(String(calls[1]?.init.body))).toEqual({ name: 'Ana', email: 'ana@x.example', role: 'CTO', note: 'Ok' });
  });

  it('formats money and fills words in the proposal language', () => {
    expect(money('320229.00', 'BRL', 'pt-BR')).toBe('R$\u00a0320.229,00');
    expect(money('1234.5', 'USD', 'en')).toBe('$1,234.50');
    expect(fill(shareWords('en').title, { client: 'Northwind' })).toBe('Proposal for Northwind');
  });
});

describe('text on a brand colour', () => {
  it('is white on a dark colour, dark on a light one, and nothing for a colour it cannot read', () => {
    expect(textColourOn('#14365d')).toBe('#ffffff');
    expect(textColourOn('#f5c518')).toBe('#111827');
    expect(textColourOn('red')).toBeNull();
  });
});
