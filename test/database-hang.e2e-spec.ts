import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { expectErrorShape, registerUser } from './support/factories.js';
import { databaseBehindRelay } from './support/frozen-relay.js';
import { startTestApp } from './support/test-app.js';

// A relay can stand between the app and a server only; embedded PGlite runs inside the app's process.
describe.runIf(process.env.DATABASE_URL)('hung database (e2e)', () => {
  it('should answer every request 503 within the query timeout while the database hangs, and recover when it answers', async () => {
    const { database, relay, url } = await databaseBehindRelay();
    const test = await startTestApp({
      database: { ...database, url },
      env: { DATABASE_QUERY_TIMEOUT: '1', DATABASE_POOL_SIZE: '2' },
    });
    try {
      const { email, password } = await registerUser(test);
      // The server cancels a slow statement itself, and the connection stays usable.
      expect(await test.app.get(DataSource).query('SHOW statement_timeout')).toEqual([{ statement_timeout: '1s' }]);

      relay.freeze();
      const started = Date.now();
      // Twice the pool: two requests hold its connections, two wait for one.
      const answers = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const response = await test.http.post('/api/v1/auth/login').send({ email, password }).timeout(15_000);
          return { response, elapsed: Date.now() - started };
        }),
      );
      for (const { response, elapsed } of answers) {
        expect(response.status, JSON.stringify(response.body)).toBe(503);
        expectErrorShape(response.body, 503);
        expect(response.body.code).toBe('service_unavailable');
        expect(elapsed).toBeLessThan(10_000);
      }

      relay.thaw();
      await expect
        .poll(async () => (await test.http.post('/api/v1/auth/login').send({ email, password })).status, {
          timeout: 10_000,
          interval: 200,
        })
        .toBe(200);
    } finally {
      relay.thaw();
      await test.close();
      await relay.close();
      await database.drop();
    }
  });
});
