import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './topology.js';

/** Variables the api service of docker-compose.yml does not take by name, and why. */
const SET_OTHERWISE: Record<string, string> = {
  HOST: 'the container listens on all its interfaces; only the proxy reaches it',
  DATA_DIR: 'the image sets /app/data',
  JWT_SECRET: 'given as a file: JWT_SECRET_FILE, a Docker secret',
  DATABASE_PASSWORD: 'given as a file: DATABASE_PASSWORD_FILE, the Postgres secret',
};

/** The keys of the api service's `environment:` block. */
function composeApiEnvironment(): string[] {
  const lines = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8').split('\n');
  const api = lines.indexOf('  api:');
  const start = lines.indexOf('    environment:', api);
  expect(api, 'an api service').toBeGreaterThan(0);
  expect(start, 'an environment block in the api service').toBeGreaterThan(api);
  const keys: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^ {6}#/.test(line)) continue;
    const match = /^ {6}([A-Z][A-Z0-9_]*):/.exec(line);
    if (!match) break;
    keys.push(match[1]);
  }
  return keys;
}

/** Every variable a config namespace declares (their `Env` classes in src/config/*.config.ts). */
function declaredVariables(): string[] {
  const dir = join(ROOT, 'src', 'config');
  const sources = readdirSync(dir)
    .filter((name) => name.endsWith('.config.ts'))
    .map((name) => readFileSync(join(dir, name), 'utf8'));
  return [
    ...new Set(sources.flatMap((source) => [...source.matchAll(/^\s+([A-Z][A-Z0-9_]+)[?!]?:/gm)].map((match) => match[1]))),
  ];
}

/** The variables of the README's configuration table, wildcards (`RATE_LIMIT_*`) expanded from the declared ones. */
function readmeVariables(declared: string[]): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('\n## Configuration'),
    readme.indexOf('\n## ', readme.indexOf('\n## Configuration') + 1),
  );
  const names = section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split(' | ')[0].matchAll(/`([A-Z][A-Z0-9_]*\*?)`/g)].map((match) => match[1]));
  return names.flatMap((name) =>
    name.endsWith('*') ? declared.filter((variable) => variable.startsWith(name.slice(0, -1))) : [name],
  );
}

describe('docker-compose.yml (topology)', () => {
  const environment = composeApiEnvironment();
  const declared = declaredVariables();

  it('should let every variable of the README table be passed to the api', () => {
    const missing = readmeVariables(declared).filter((name) => !environment.includes(name) && !(name in SET_OTHERWISE));
    expect(missing).toEqual([]);
  });

  it('should let every variable a config namespace reads be passed to the api', () => {
    expect(declared.length).toBeGreaterThan(40);
    const missing = declared.filter((name) => !environment.includes(name) && !(name in SET_OTHERWISE));
    expect(missing).toEqual([]);
  });

  it('should give the secrets as files, never by value', () => {
    expect(environment).toEqual(expect.arrayContaining(['JWT_SECRET_FILE', 'DATABASE_PASSWORD_FILE']));
    expect(environment).not.toContain('JWT_SECRET');
    expect(environment).not.toContain('DATABASE_PASSWORD');
  });
});
