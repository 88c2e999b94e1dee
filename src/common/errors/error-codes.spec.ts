import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultCode, ERROR_CODES } from './error-codes.js';

describe('ERROR_CODES', () => {
  it('should be listed in the README, each with its status and meaning', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

    for (const [code, { status, description }] of Object.entries(ERROR_CODES)) {
      expect(readme, code).toContain(`| \`${code}\` | ${status} | ${description} |`);
    }
  });

  it('should give every status a default code of that status', () => {
    for (const status of [400, 401, 403, 404, 408, 409, 413, 415, 429, 500, 503]) {
      expect(ERROR_CODES[defaultCode(status)].status).toBe(status);
    }
  });
});
