/** The parity fixture: Markdown cases and the HTML the PDF renderer gives for each (tests/support/markdown_parity.py). */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ParityCase = { name: string; markdown: string; html: string };
export type ParityFixture = { top_heading_level: number; cases: ParityCase[] };

const FIXTURE = resolve(dirname(fileURLToPath(import.meta.url)), '../../tests/fixtures/markdown_parity.json');

/** Read from the repository's tests/ when a test runs, so building the app never needs it. */
export function readParityFixture(): ParityFixture {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as ParityFixture;
}
