import { describe, expect, it } from 'vitest';
import { AppLogger } from './app-logger.js';
import { maskEmail, REDACTED, scrub } from './mask.js';
import { runInRequest } from './request-context.js';

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const BCRYPT = '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';

/** A logger writing JSON lines into an array. */
function capture(level: 'debug' | 'info' = 'info'): { logger: AppLogger; lines: () => Record<string, unknown>[] } {
  const written: string[] = [];
  const logger = new AppLogger({ level, format: 'json', destination: { write: (line: string) => void written.push(line) } });
  return { logger, lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe(maskEmail.name, () => {
  it('should keep the first letter and the domain only', () => {
    expect(maskEmail('ada@example.com')).toBe('a***@example.com');
    expect(maskEmail('j.doe+tag@mail.example.org')).toBe('j***@mail.example.org');
    expect(maskEmail('nonsense')).toBe('***');
  });
});

describe(scrub.name, () => {
  it('should mask addresses and remove JWTs and bcrypt hashes wherever they are in a text', () => {
    const text = scrub(`user ada@example.com sent ${JWT} and the hash was ${BCRYPT}.`);
    expect(text).toBe(`user a***@example.com sent ${REDACTED} and the hash was ${REDACTED}.`);
  });

  it('should leave a masked address and ordinary text as they are', () => {
    expect(scrub('Mail "Reset" to a***@example.com delivered (smtp: 250 OK)')).toBe(
      'Mail "Reset" to a***@example.com delivered (smtp: 250 OK)',
    );
  });
});

describe(AppLogger.name, () => {
  it('should write JSON lines with an ISO UTC time, the level as a word, the message and the context', () => {
    const { logger, lines } = capture();
    logger.log('started', 'Main');
    const [line] = lines();
    expect(line).toMatchObject({ level: 'info', msg: 'started', context: 'Main' });
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Object.keys(line)).not.toContain('pid');
  });

  it('should remove secret fields and mask an email field, at the top and one level down', () => {
    const { logger, lines } = capture();
    logger.warn({ msg: 'login failed', email: 'ada@example.com', password: 'hunter2', detail: { refreshToken: 'r-1' } }, 'Auth');
    const [line] = lines();
    expect(line).toMatchObject({
      msg: 'login failed',
      email: 'a***@example.com',
      password: REDACTED,
      detail: { refreshToken: REDACTED },
    });
    expect(JSON.stringify(line)).not.toMatch(/hunter2|ada@|r-1/);
  });

  it('should scrub the message and the stack of an error', () => {
    const { logger, lines } = capture();
    logger.error(`Unhandled error for ada@example.com`, `Error: bad token ${JWT}\n    at x (y.js:1:1)`, 'Exceptions');
    const [line] = lines();
    expect(line).toMatchObject({ level: 'error', msg: 'Unhandled error for a***@example.com', context: 'Exceptions' });
    expect(line.stack).toBe(`Error: bad token ${REDACTED}\n    at x (y.js:1:1)`);
  });

  it('should add the request id to a line written while a request is served, and only then', async () => {
    const { logger, lines } = capture();
    await new Promise<void>((resolve) =>
      runInRequest('req-1', () => {
        void Promise.resolve().then(() => {
          logger.log('inside', 'Service');
          resolve();
        });
      }),
    );
    logger.log('outside', 'Service');
    expect(lines().map((line) => [line.msg, line.reqId])).toEqual([
      ['inside', 'req-1'],
      ['outside', undefined],
    ]);
  });

  it("should keep Nest's per-route start-up lines for the debug level", () => {
    const quiet = capture('info');
    quiet.logger.log('Mapped {/api/v1/auth/login, POST} route', 'RouterExplorer');
    quiet.logger.log('Nest application successfully started', 'NestApplication');
    expect(quiet.lines().map((line) => line.context)).toEqual(['NestApplication']);

    const verbose = capture('debug');
    verbose.logger.log('Mapped {/api/v1/auth/login, POST} route', 'RouterExplorer');
    expect(verbose.lines()).toMatchObject([{ level: 'debug', context: 'RouterExplorer' }]);
  });
});
