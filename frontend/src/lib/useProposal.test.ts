import { describe, expect, it } from 'vitest';
import { applyProgress, isBusy } from './useProposal';

describe('live progress', () => {
  it('keeps the text of each section and starts over on a new version', () => {
    let draft = applyProgress(null, { version: 1, section: 'context', title: 'Contexto', text: 'abc', completed: ['executive_summary'], characters: 10 });
    draft = applyProgress(draft, { version: 1, section: 'solution', title: 'Solução', text: 'x', completed: ['executive_summary', 'context'], characters: 20 });
    expect(draft.texts['context']?.text).toBe('abc');
    expect(draft.current).toBe('solution');
    draft = applyProgress(draft, { version: 2, section: 'scope', title: 'Escopo', text: 'y', completed: [], characters: 1 });
    expect(Object.keys(draft.texts)).toEqual(['scope']);
  });

  it('shows a notice while the model server does not answer, keeping what was written, until new text arrives', () => {
    let draft = applyProgress(null, { version: 1, section: 'context', title: 'Contexto', text: 'abc', completed: ['executive_summary'], characters: 10 });
    draft = applyProgress(draft, { version: 1, section: null, title: null, text: '', completed: [], characters: 0, notice: 'O servidor do modelo não está respondendo; nova tentativa em 20 s.', retry_in_seconds: 20 });
    expect(draft.notice).toContain('20 s');
    expect(draft.current).toBe('context');
    expect(draft.completed).toEqual(['executive_summary']);
    draft = applyProgress(draft, { version: 1, section: 'executive_summary', title: 'Sumário', text: 'de novo', completed: [], characters: 7 });
    expect(draft.notice).toBeNull();
    expect(draft.current).toBe('executive_summary');
  });

  it('knows which statuses are still being produced', () => {
    expect(['queued', 'generating', 'rendering', 'ready', 'failed'].map(isBusy)).toEqual([true, true, true, false, false]);
  });
});
