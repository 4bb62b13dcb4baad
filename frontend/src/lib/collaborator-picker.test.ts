import { describe, expect, it } from 'vitest';
import { moveActive, offered, personLabel, searchText } from './collaborator-picker';

const person = (id: string, display_name = id) => ({ id, display_name, email: `${id}@example.com` });

describe('the collaborator picker', () => {
  it('offers neither the owner nor the people already chosen, each person once', () => {
    const found = [person('olga'), person('ana'), person('rui'), person('ana')];
    expect(offered(found, [person('rui')], 'olga').map((p) => p.id)).toEqual(['ana']);
    expect(offered(found, [], undefined).map((p) => p.id)).toEqual(['olga', 'ana', 'rui']);
  });

  it('moves the active option with the arrows, Home and End, wrapping around', () => {
    expect(moveActive(-1, 3, 'ArrowDown')).toBe(0);
    expect(moveActive(0, 3, 'ArrowDown')).toBe(1);
    expect(moveActive(2, 3, 'ArrowDown')).toBe(0);
    expect(moveActive(-1, 3, 'ArrowUp')).toBe(2);
    expect(moveActive(0, 3, 'ArrowUp')).toBe(2);
    expect(moveActive(1, 3, 'Home')).toBe(0);
    expect(moveActive(1, 3, 'End')).toBe(2);
    expect(moveActive(1, 3, 'a')).toBeNull();
    expect(moveActive(-1, 0, 'ArrowDown')).toBe(-1);
    expect(moveActive(-1, 0, 'Enter')).toBeNull();
  });

  it('searches the trimmed text, at most 100 characters, and nothing for blanks', () => {
    expect(searchText('  Ana ')).toBe('Ana');
    expect(searchText('   ')).toBeNull();
    expect(searchText('ab', 3)).toBeNull();
    expect(searchText('x'.repeat(150))).toHaveLength(100);
  });

  it('shows the e-mail beside the name when there is one', () => {
    expect(personLabel(person('ana', 'Ana'))).toBe('Ana (ana@example.com)');
    expect(personLabel({ display_name: 'u-1', email: '' })).toBe('u-1');
  });
});
