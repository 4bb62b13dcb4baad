import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { describeLibraryError, documentStatusText, failureWording, searchModeNotice } from './library-words';
import { libraryDocument } from './library-fake';
import { format, messages, type MessageKey } from './messages';
import { FAILURE_CODES } from './library';

const translator = (locale: 'pt-BR' | 'en') => (key: MessageKey, values?: Record<string, string | number>) => format(messages[locale][key], values);
const pt = translator('pt-BR');
const en = translator('en');
const fallback = () => 'fallback';

describe('documentStatusText', () => {
  it('words each status in pt-BR and en, with the pages and passages', () => {
    const states = [
      libraryDocument({ status: 'uploaded' }),
      libraryDocument({ status: 'indexing', pages_total: null }),
      libraryDocument({ status: 'indexing', pages_total: 12, pages_done: 5 }),
      libraryDocument({ status: 'indexed', passage_count: 1 }),
      libraryDocument({ status: 'indexed', passage_count: 37 }),
      libraryDocument({ status: 'failed', failure_code: 'encrypted', failure_reason: 'password-protected PDF' }),
    ];
    expect(states.map((document) => documentStatusText(document, pt))).toEqual([
      'Enviado, aguardando a indexação',
      'Indexando…',
      'Indexando: página 5 de 12',
      'Indexado: 1 trecho',
      'Indexado: 37 trechos',
      'Falhou: o PDF é protegido por senha. Remova a senha e envie de novo.',
    ]);
    expect(states.map((document) => documentStatusText(document, en))).toEqual([
      'Uploaded, waiting to be indexed',
      'Indexing…',
      'Indexing: page 5 of 12',
      'Indexed: 1 passage',
      'Indexed: 37 passages',
      'Failed: the PDF is password-protected. Remove the password and upload it again.',
    ]);
  });
});

describe('failureWording', () => {
  it('has a sentence for every failure code in both languages', () => {
    for (const code of FAILURE_CODES) {
      for (const locale of ['pt-BR', 'en'] as const) {
        const key = `library.failure.${code}` as MessageKey;
        expect(messages[locale][key], `${locale} ${code}`).toBeTruthy();
        expect(failureWording({ failure_code: code, failure_reason: 'English reason' }, translator(locale))).toBe(messages[locale][key]);
      }
    }
  });

  it("falls back to the service's reason for a code it does not know, and says when there is none", () => {
    expect(failureWording({ failure_code: 'new_code', failure_reason: 'a new reason' }, pt)).toBe('a new reason');
    expect(failureWording({ failure_code: null, failure_reason: null }, pt)).toBe('motivo não informado.');
  });
});

describe('searchModeNotice', () => {
  it('says why a search was text only, in pt-BR and en', () => {
    expect(searchModeNotice({ mode: 'full_text', mode_reason: 'no_embedding_model' }, pt)).toBe('Busca apenas por texto: nenhum modelo de embeddings configurado.');
    expect(searchModeNotice({ mode: 'full_text', mode_reason: 'no_embedding_model' }, en)).toBe('Text-only search: no embedding model is configured.');
    expect(searchModeNotice({ mode: 'full_text', mode_reason: 'reembedding' }, pt)).toMatch(/reprocessados/);
    expect(searchModeNotice({ mode: 'full_text', mode_reason: null }, en)).toBe('Text-only search.');
  });

  it('says nothing for a hybrid search', () => {
    expect(searchModeNotice({ mode: 'hybrid', mode_reason: null }, pt)).toBeNull();
  });
});

describe('describeLibraryError', () => {
  const error = (status: number, kind: ConstructorParameters<typeof ApiError>[0], problem: object = {}) => new ApiError(kind, status, { status, ...problem });

  it("words 4xx problems in the interface's language, the gateway's detail only as a clue", () => {
    expect(describeLibraryError(error(404, 'not_found', { detail: 'person not found' }), pt, fallback)).toBe('Este item não existe mais (talvez tenha sido excluído). Recarregue a lista.');
    expect(describeLibraryError(error(409, 'conflict', { detail: 'role is in use' }), en, fallback)).toBe(
      'It clashes with an existing entry (a name or date already used, or a role people still have). The gateway said: role is in use',
    );
    expect(describeLibraryError(error(415, 'server', { detail: 'application/zip' }), pt, fallback)).toMatch(/^Tipo de arquivo não aceito/);
    expect(describeLibraryError(error(413, 'too_large'), en, fallback)).toBe('The file is too large to upload.');
    expect(describeLibraryError(error(422, 'invalid', { errors: [{ field: 'name', message: 'x' }] }), pt, fallback)).toBe('Confira os campos destacados.');
    expect(describeLibraryError(error(403, 'forbidden'), pt, fallback)).toBe('fallback');
  });
});
