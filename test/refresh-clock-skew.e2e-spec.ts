import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer, registerUser, type TokenBody } from './support/factories.js';
import { decodeJwt } from './support/jwt.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const IDLE_SECONDS = 60;

/**
 * The app runs in this process, so faking `Date` (and nothing else: timers, sockets and the driver keep
 * working) sets the app's clock apart from a Postgres server's. Embedded PGlite also runs here and
 * reads the same faked `Date`: its clock cannot be set apart, hence a server only.
 */
describe.skipIf(!process.env.DATABASE_URL)('refresh with the app and database clocks apart (e2e, Postgres server)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: { JWT_REFRESH_REUSE_WINDOW: '30', SESSION_IDLE_TTL: String(IDLE_SECONDS) } });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  afterAll(async () => {
    await test?.close();
  });

  const skewAppClock = (ms: number) => {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() + ms);
  };

  const refresh = async (refreshToken: string) => {
    const response = await test.http.post('/api/v1/auth/refresh').send({ refreshToken });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body as TokenBody;
  };
  /** A pair as a retry must get it again: the same refresh token, an access token with the same claims and jti. */
  const samePair = ({ accessToken, ...rest }: TokenBody) => ({ ...rest, claims: decodeJwt(accessToken).payload });

  it('should issue a refreshed access token the app accepts, and the same pair again to a retry, when the database clock is ahead', async () => {
    skewAppClock(-60_000);
    const first = await registerUser(test);

    const issued = await refresh(first.refreshToken);
    const me = await test.http.get('/api/v1/auth/me').set(bearer(issued.accessToken));

    expect([me.status, me.body.code]).toEqual([200, undefined]);
    expect(Math.abs((decodeJwt(issued.accessToken).payload.iat as number) - Date.now() / 1000)).toBeLessThan(5);
    expect(samePair(await refresh(first.refreshToken))).toEqual(samePair(issued));
  });

  it('should keep a refreshed session live on the app clock when the database clock is behind by more than the idle timeout', async () => {
    skewAppClock(2 * IDLE_SECONDS * 1000);
    const first = await registerUser(test);

    const issued = await refresh(first.refreshToken);
    const me = await test.http.get('/api/v1/auth/me').set(bearer(issued.accessToken));

    expect([me.status, me.body.code]).toEqual([200, undefined]);
    expect(samePair(await refresh(first.refreshToken))).toEqual(samePair(issued));
    await refresh(issued.refreshToken);
  });
});
