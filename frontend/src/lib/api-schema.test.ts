import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('api-schema.ts', () => {
  it('is what openapi-typescript generates from the committed OpenAPI document (docs/openapi.json)', () => {
    const check = spawnSync(process.execPath, ['scripts/api-types.mjs', '--check'], { cwd: FRONTEND, encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  }, 60_000);
});
