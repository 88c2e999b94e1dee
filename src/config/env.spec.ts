import { IsInt, IsOptional, IsString, Max } from 'class-validator';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { envValue, MAX_FILE_VALUE_BYTES, parseDuration, parseList, readEnv } from './env.js';

class SampleEnv {
  @IsInt()
  @Max(10)
  LIMIT: number = 5;
}

class SecretEnv {
  @IsOptional()
  @IsString()
  TOKEN?: string;

  @IsInt()
  @Max(10)
  LIMIT: number = 5;
}

describe(parseDuration.name, () => {
  it.each([
    ['900', 900],
    ['900s', 900],
    ['15m', 900],
    ['12h', 43_200],
    ['30d', 2_592_000],
    [' 7 d ', 604_800],
  ])('should read %j as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', 'abc', '-5', '1.5h', '10w'])('should refuse %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe(parseList.name, () => {
  it('should split on commas and drop blanks', () => {
    expect(parseList(' a, b ,,c ')).toEqual(['a', 'b', 'c']);
    expect(parseList(undefined)).toEqual([]);
  });
});

describe(readEnv.name, () => {
  it('should apply defaults and convert strings to the declared types', () => {
    expect(readEnv(SampleEnv, {}).LIMIT).toBe(5);
    expect(readEnv(SampleEnv, { LIMIT: '7' }).LIMIT).toBe(7);
  });

  it('should treat an empty value as unset', () => {
    expect(readEnv(SampleEnv, { LIMIT: '' }).LIMIT).toBe(5);
  });

  it('should stop with a message that names the bad variable', () => {
    expect(() => readEnv(SampleEnv, { LIMIT: '11' })).toThrow(
      /Invalid configuration:\n {2}- LIMIT: LIMIT must not be greater than 10/,
    );
    expect(() => readEnv(SampleEnv, { LIMIT: 'many' })).toThrow(/- LIMIT: LIMIT must be an integer number$/);
  });
});

describe('readEnv with X_FILE', () => {
  let dir: string;
  const file = (name: string, contents: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, contents, { mode: 0o600 });
    return path;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'env-file-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('should take the value from the file, without its trailing line break', () => {
    expect(readEnv(SecretEnv, { TOKEN_FILE: file('token', 's3cret value\n') }).TOKEN).toBe('s3cret value');
    expect(readEnv(SecretEnv, { TOKEN_FILE: file('token-crlf', 'crlf\r\n') }).TOKEN).toBe('crlf');
    expect(readEnv(SecretEnv, { TOKEN_FILE: file('token-bare', ' spaced ') }).TOKEN).toBe(' spaced ');
  });

  it('should convert and validate a value from a file like one from the environment', () => {
    expect(readEnv(SecretEnv, { LIMIT_FILE: file('limit', '7\n') }).LIMIT).toBe(7);
    expect(() => readEnv(SecretEnv, { LIMIT_FILE: file('limit-big', '11\n') })).toThrow(
      /- LIMIT: LIMIT must not be greater than 10/,
    );
  });

  it('should read X_FILE when X is empty, as compose writes an unset ${X:-}', () => {
    expect(readEnv(SecretEnv, { TOKEN: '', TOKEN_FILE: file('token-empty-x', 'from file') }).TOKEN).toBe('from file');
    expect(readEnv(SecretEnv, { TOKEN: 'direct', TOKEN_FILE: '' }).TOKEN).toBe('direct');
  });

  it('should refuse both X and X_FILE, naming both', () => {
    expect(() => readEnv(SecretEnv, { TOKEN: 'direct', TOKEN_FILE: file('token-both', 'from file') })).toThrow(
      /- TOKEN and TOKEN_FILE are both set; set only one/,
    );
  });

  it('should name the variable and the path of a file it cannot read, and never its contents', () => {
    const missing = join(dir, 'missing');
    expect(() => readEnv(SecretEnv, { TOKEN_FILE: missing })).toThrow(`- TOKEN_FILE: cannot read ${missing} (ENOENT)`);
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    expect(() => readEnv(SecretEnv, { TOKEN_FILE: folder })).toThrow(`- TOKEN_FILE: cannot read ${folder} (EISDIR)`);
    expect(() => readEnv(SecretEnv, { TOKEN_FILE: file('blank', '\n') })).toThrow(/- TOKEN_FILE: cannot read .*blank \(empty\)/);

    const huge = file('huge', Buffer.alloc(MAX_FILE_VALUE_BYTES + 1, 'x'));
    let thrown: unknown;
    try {
      readEnv(SecretEnv, { TOKEN_FILE: huge });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toEqual([`TOKEN_FILE: cannot read ${huge} (larger than 64 KiB)`]);
    expect((thrown as ConfigError).message).not.toContain('xxxx');
  });

  it('should not show the contents of a file whose value is refused', () => {
    const path = file('limit-word', 'not-a-number-and-private\n');
    expect(() => readEnv(SecretEnv, { LIMIT_FILE: path })).toThrow(/- LIMIT: LIMIT must be an integer number$/);
  });

  it('should leave X_FILE alone for a variable the namespace does not declare', () => {
    expect(readEnv(SecretEnv, { SSL_CERT_FILE: join(dir, 'missing'), TOKEN: 'direct' }).TOKEN).toBe('direct');
  });
});

describe(envValue.name, () => {
  it('should read X, or the file X_FILE names, and give undefined for a problem the owning namespace reports', () => {
    const dir = mkdtempSync(join(tmpdir(), 'env-value-'));
    try {
      const path = join(dir, 'url');
      writeFileSync(path, 'https://app.example.com\n');
      expect(envValue('APP_URL', { APP_URL: 'https://direct.example.com' })).toBe('https://direct.example.com');
      expect(envValue('APP_URL', { APP_URL_FILE: path })).toBe('https://app.example.com');
      expect(envValue('APP_URL', { APP_URL_FILE: join(dir, 'missing') })).toBeUndefined();
      expect(envValue('APP_URL', {})).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
