/**
 * The logic of the collaborator picker (a search-as-you-type combobox over `GET /api/users/directory`), apart from
 * React so it is tested alone: which people to offer, and where the keyboard moves the active option.
 */
import type { DirectoryPerson } from './types';

/** The people of a search worth offering: not the owner, not already chosen, each once. */
export function offered(found: readonly DirectoryPerson[], chosen: readonly Pick<DirectoryPerson, 'id'>[], ownerId: string | undefined): DirectoryPerson[] {
  const taken = new Set(chosen.map((person) => person.id));
  if (ownerId) taken.add(ownerId);
  const seen = new Set<string>();
  return found.filter((person) => {
    if (taken.has(person.id) || seen.has(person.id)) return false;
    seen.add(person.id);
    return true;
  });
}

/** The active option after a key press in a list of `count` options (-1: none), wrapping around; null for a key that
 * does not move it. */
export function moveActive(active: number, count: number, key: string): number | null {
  if (count === 0) return key === 'ArrowDown' || key === 'ArrowUp' || key === 'Home' || key === 'End' ? -1 : null;
  switch (key) {
    case 'ArrowDown':
      return active < 0 || active >= count - 1 ? 0 : active + 1;
    case 'ArrowUp':
      return active <= 0 ? count - 1 : active - 1;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/** The text searched for: trimmed, and nothing (no search) until it has `minimum` characters. */
export function searchText(typed: string, minimum = 1): string | null {
  const text = typed.trim().slice(0, 100);
  return text.length >= minimum ? text : null;
}

/** How a person is shown: the name, and the e-mail that tells two people of one name apart. */
export function personLabel(person: Pick<DirectoryPerson, 'display_name' | 'email'>): string {
  return person.email ? `${person.display_name} (${person.email})` : person.display_name;
}
