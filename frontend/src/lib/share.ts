/** The client's share page: its calls to the gateway's public routes (no account, no cookie), and its words in the
proposal's language (pt-BR or en), whatever the app's own language setting. */

import type { components } from './api-schema';

type Schemas = components['schemas'];

export type ShareLanguage = 'pt-BR' | 'en';
export type SharedProposal = Schemas['PublicProposal'];
export type ShareAnswer = Schemas['AnswerView'];
export type ShareBrand = Schemas['PublicBrand'];
export type ShareLink = Schemas['ShareLinkView'];
export type ShareLinkList = Schemas['ShareLinkList'];
export type SentLink = Schemas['SentLink'];

/** Why a public call failed: the gateway's problem `code` (or 'network'), and its Retry-After in seconds. */
export class ShareError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly retryAfter: number | null = null,
  ) {
    super(code);
    this.name = 'ShareError';
  }
}

export interface AnswerForm {
  name: string;
  email: string;
  role?: string;
  note?: string;
  reason?: string;
}

/** The public routes of one share link. */
export class ShareClient {
  private readonly base: string;

  constructor(
    private readonly apiUrl: string,
    readonly token: string,
    private readonly accessCode: string | null = null,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
  ) {
    this.base = `${apiUrl.replace(/\/$/, '')}/api/public/share/${encodeURIComponent(token)}`;
  }

  withCode(code: string): ShareClient {
    return new ShareClient(this.apiUrl, this.token, code, this.fetchImpl);
  }

  private async call(path: string, init: RequestInit = {}): Promise<Response> {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
    if (this.accessCode) headers['X-Access-Code'] = this.accessCode;
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.base}${path}`, { ...init, headers, credentials: 'omit' });
    } catch {
      throw new ShareError('network', 0);
    }
    if (response.ok) return response;
    let code = `http_${response.status}`;
    try {
      const problem = (await response.json()) as { code?: string };
      if (problem.code) code = problem.code;
    } catch {
      // not a problem+json body
    }
    const retry = Number(response.headers.get('Retry-After'));
    throw new ShareError(code, response.status, Number.isFinite(retry) && retry > 0 ? retry : null);
  }

  async open(): Promise<SharedProposal> {
    return (await this.call('')).json() as Promise<SharedProposal>;
  }

  async pdf(final = false): Promise<Blob> {
    return (await this.call(final ? '/final-pdf' : '/pdf')).blob();
  }

  async answer(decision: 'accept' | 'decline', form: AnswerForm): Promise<ShareAnswer> {
    const body: Record<string, string> = { name: form.name, email: form.email };
    if (form.role) body['role'] = form.role;
    if (decision === 'accept' && form.note) body['note'] = form.note;
    if (decision === 'decline') body['reason'] = form.reason ?? '';
    const response = await this.call(`/${decision}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return response.json() as Promise<ShareAnswer>;
  }

  /** The time-on-page beacon; it must survive the page closing (keepalive), and its failure changes nothing. */
  beacon(visitId: string, seconds: number): void {
    void this.fetchImpl(`${this.base}/visits/${encodeURIComponent(visitId)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ seconds: Math.floor(seconds) }),
      keepalive: true,
      credentials: 'omit',
    }).catch(() => undefined);
  }
}

/** A decimal string of the API as money in the proposal's language. */
export function money(value: string, currency: string, language: ShareLanguage): string {
  return new Intl.NumberFormat(language, { style: 'currency', currency }).format(Number(value));
}

const WORDS = {
  'pt-BR': {
    title: 'Proposta para {client}',
    from: 'Enviada por {company}',
    version: 'Versão {version}',
    validUntil: 'Link válido até {date}',
    loading: 'Carregando a proposta…',
    contents: 'Conteúdo',
    investment: 'Investimento',
    description: 'Descrição',
    quantity: 'Qtd.',
    unitPrice: 'Valor unitário',
    amount: 'Valor',
    subtotal: 'Subtotal',
    discount: 'Desconto ({percent}%)',
    total: 'Total',
    download: 'Baixar o PDF',
    downloadFinal: 'Baixar o PDF final',
    answerTitle: 'Sua resposta',
    accept: 'Aceitar a proposta',
    decline: 'Recusar a proposta',
    acceptIntro: 'Ao aceitar, registramos seu nome, e-mail, a data e hora e o endereço IP de onde você aceitou.',
    name: 'Nome',
    email: 'E-mail',
    role: 'Cargo',
    note: 'Observação',
    reason: 'Motivo da recusa',
    optional: '(opcional)',
    submitAccept: 'Aceitar',
    submitDecline: 'Recusar',
    sending: 'Enviando…',
    accepted: 'Proposta aceita por {name} em {date}.',
    declined: 'Proposta recusada por {name} em {date}.',
    signed: 'O PDF final tem o termo de aceite e está assinado digitalmente pela consultoria (PAdES {level}).',
    unsigned: 'O PDF final tem o termo de aceite, mas não está assinado digitalmente.',
    noSigning: 'O PDF final desta proposta terá o termo de aceite, mas não será assinado digitalmente.',
    codeTitle: 'Esta proposta é protegida por um código',
    codeLabel: 'Código de acesso',
    codeHint: 'A consultoria enviou o código junto com o link.',
    codeSubmit: 'Abrir a proposta',
    privacyTitle: 'Privacidade',
    privacy:
      'Para que a consultoria saiba que a proposta foi lida, registramos quando esta página é aberta, por quanto tempo fica visível e os downloads do PDF, sem guardar seu endereço IP nem seu navegador. Se você aceitar ou recusar, guardamos o nome, o e-mail, o cargo, a observação ou o motivo, a data e hora e o endereço IP, como prova da resposta. Esses dados servem só para esta proposta, ficam com a consultoria enquanto ela guardar a proposta e são apagados com ela (LGPD, art. 7º, V e IX). Para exercer seus direitos, fale com a consultoria.',
    withdrawn: 'A consultoria retirou esta proposta; ela não pode mais ser respondida.',
    expiredState: 'O prazo desta proposta terminou; ela não pode mais ser respondida.',
    errors: {
      share_link_not_found: 'Este link não funciona: pode ter sido digitado errado ou revogado pela consultoria. Peça um novo.',
      share_link_expired: 'Este link expirou. Peça um novo à consultoria.',
      access_code_required: 'Digite o código de acesso.',
      access_code_wrong: 'O código de acesso está errado.',
      access_code_throttled: 'Muitas tentativas com código errado. Tente de novo em {seconds} s.',
      share_rate_limited: 'Muitas solicitações. Tente de novo em {seconds} s.',
      already_answered: 'Esta proposta já foi respondida.',
      network: 'Não foi possível falar com o servidor. Verifique sua conexão e tente de novo.',
      missingLink: 'O link está incompleto: abra o endereço completo que a consultoria enviou.',
      invalid: 'Confira os campos: nome, um e-mail válido e, para recusar, o motivo.',
      other: 'Algo deu errado ({code}). Tente de novo.',
    },
  },
  en: {
    title: 'Proposal for {client}',
    from: 'Sent by {company}',
    version: 'Version {version}',
    validUntil: 'Link valid until {date}',
    loading: 'Loading the proposal…',
    contents: 'Contents',
    investment: 'Investment',
    description: 'Description',
    quantity: 'Qty',
    unitPrice: 'Unit price',
    amount: 'Amount',
    subtotal: 'Subtotal',
    discount: 'Discount ({percent}%)',
    total: 'Total',
    download: 'Download the PDF',
    downloadFinal: 'Download the final PDF',
    answerTitle: 'Your answer',
    accept: 'Accept the proposal',
    decline: 'Decline the proposal',
    acceptIntro: 'When you accept, we record your name, e-mail, the date and time, and the IP address you accepted from.',
    name: 'Name',
    email: 'E-mail',
    role: 'Role',
    note: 'Note',
    reason: 'Reason for declining',
    optional: '(optional)',
    submitAccept: 'Accept',
    submitDecline: 'Decline',
    sending: 'Sending…',
    accepted: 'Proposal accepted by {name} on {date}.',
    declined: 'Proposal declined by {name} on {date}.',
    signed: 'The final PDF has the acceptance record and is digitally signed by the consultancy (PAdES {level}).',
    unsigned: 'The final PDF has the acceptance record, but it is not digitally signed.',
    noSigning: "This proposal's final PDF will have the acceptance record, but it will not be digitally signed.",
    codeTitle: 'This proposal is protected by a code',
    codeLabel: 'Access code',
    codeHint: 'The consultancy sent you the code with the link.',
    codeSubmit: 'Open the proposal',
    privacyTitle: 'Privacy',
    privacy:
      'So that the consultancy knows the proposal was read, we record when this page is opened, how long it is visible and the PDF downloads, without keeping your IP address or your browser. If you accept or decline, we keep the name, e-mail, role, note or reason, the date and time and the IP address, as proof of the answer. This data serves this proposal only, stays with the consultancy as long as it keeps the proposal, and is deleted with it (Brazil\'s LGPD, art. 7, V and IX). To exercise your rights, contact the consultancy.',
    withdrawn: 'The consultancy withdrew this proposal; it can no longer be answered.',
    expiredState: "This proposal's time is over; it can no longer be answered.",
    errors: {
      share_link_not_found: 'This link does not work: it may be mistyped, or the consultancy revoked it. Ask them for a new one.',
      share_link_expired: 'This link has expired. Ask the consultancy for a new one.',
      access_code_required: 'Type the access code.',
      access_code_wrong: 'The access code is wrong.',
      access_code_throttled: 'Too many wrong codes. Try again in {seconds} s.',
      share_rate_limited: 'Too many requests. Try again in {seconds} s.',
      already_answered: 'This proposal has been answered already.',
      network: 'Could not reach the server. Check your connection and try again.',
      missingLink: 'The link is incomplete: open the whole address the consultancy sent you.',
      invalid: 'Check the fields: a name, a valid e-mail and, to decline, the reason.',
      other: 'Something went wrong ({code}). Try again.',
    },
  },
} as const;

export type ShareWords = (typeof WORDS)['en'];

export function shareWords(language: ShareLanguage): ShareWords {
  return WORDS[language] as unknown as ShareWords;
}

/** `template` with each {name} replaced. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

/** A failure in words. */
export function shareErrorText(error: unknown, words: ShareWords): string {
  if (!(error instanceof ShareError)) return fill(words.errors.other, { code: String(error) });
  if (error.status === 422) return words.errors.invalid;
  const known = (words.errors as Record<string, string>)[error.code];
  if (known) return fill(known, { seconds: error.retryAfter ?? 60 });
  return fill(words.errors.other, { code: error.code });
}

/** The browser's preferred language as one of the page's, for messages shown before the proposal is loaded. */
export function browserLanguage(): ShareLanguage {
  if (typeof navigator !== 'undefined' && navigator.language?.toLowerCase().startsWith('en')) return 'en';
  return 'pt-BR';
}

function luminance(hex: string): number | null {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!match) return null;
  const [r, g, b] = match.slice(1).map((part) => {
    const channel = parseInt(part, 16) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** White or near-black, whichever reads on `background` (a brand colour) with a contrast of at least 4.5:1; null when
 * `background` is not a #rrggbb colour. */
export function textColourOn(background: string): string | null {
  const value = luminance(background);
  if (value === null) return null;
  return 1.05 / (value + 0.05) >= 4.5 ? '#ffffff' : '#111827';
}
