import { randomBytes, randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectErrorShape, login, PASSWORD, registerUser, uniqueEmail } from './support/factories.js';
import { waitForMail } from './support/mail.js';
import { parseMetrics, valueOf, type Sample } from './support/metrics.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const METRICS_TOKEN = randomBytes(32).toString('hex');

async function scrape(test: TestApp): Promise<Sample[]> {
  const response = await test.http.get('/metrics').set(bearer(METRICS_TOKEN));
  expect(response.status, response.text).toBe(200);
  return parseMetrics(response.text);
}

/** How much each labelled series of a counter moved between two scrapes. */
function moved(before: Sample[], after: Sample[], name: string, label: string): Record<string, number> {
  return Object.fromEntries(
    after
      .filter((sample) => sample.name === name)
      .map((sample) => [sample.labels[label], sample.value - (valueOf(before, name, { [label]: sample.labels[label] }) ?? 0)]),
  );
}

describe('metrics (e2e)', () => {
  describe('without METRICS_TOKEN', () => {
    let test: TestApp;

    beforeAll(async () => {
      test = await startTestApp();
    });

    afterAll(async () => {
      await test?.close();
    });

    it('should answer /metrics as it answers an unknown route: 404', async () => {
      const response = await test.http.get('/metrics').set(bearer(METRICS_TOKEN));
      const unknown = await test.http.get('/no-such-route');

      expect(response.status).toBe(404);
      expectErrorShape(response.body, 404);
      expect(response.body.code).toBe('not_found');
      expect(response.body.message).toBe(unknown.body.message.replace('/no-such-route', '/metrics'));
    });
  });

  describe('with METRICS_TOKEN', () => {
    let test: TestApp;

    beforeAll(async () => {
      test = await startTestApp({ env: { METRICS_TOKEN, BCRYPT_THREADS: '2' } });
    });

    afterAll(async () => {
      await test?.close();
    });

    it('should answer 401 metrics_unauthorized without the token, with a wrong one, or with an access token', async () => {
      const user = await registerUser(test);

      for (const headers of [
        {},
        bearer(randomBytes(32).toString('hex')),
        bearer(user.accessToken),
        { Authorization: METRICS_TOKEN },
      ]) {
        const response = await test.http.get('/metrics').set(headers);

        expect(response.status, JSON.stringify(headers)).toBe(401);
        expectErrorShape(response.body, 401);
        expect(response.body.code).toBe('metrics_unauthorized');
        expect(response.headers['www-authenticate']).toBe('Bearer realm="metrics"');
        expect(response.text).not.toContain('process_cpu');
      }
    });

    it('should answer the Prometheus text format with the token, never cached', async () => {
      const response = await test.http.get('/metrics').set('Authorization', `bearer ${METRICS_TOKEN}`);

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe(new Registry().contentType);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.text).toContain('# TYPE auth_logins_total counter');
    });

    it('should count a successful login, a wrong password and an unknown account, exactly once each', async () => {
      const user = await registerUser(test);
      const before = await scrape(test);

      await login(test, user.email);
      await test.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: `${PASSWORD}!` })
        .expect(401);
      await test.http
        .post('/api/v1/auth/login')
        .send({ email: uniqueEmail('nobody'), password: PASSWORD })
        .expect(401);

      const after = await scrape(test);
      expect(moved(before, after, 'auth_logins_total', 'outcome')).toEqual({
        success: 1,
        wrong_password: 1,
        unknown_account: 1,
        locked: 0,
        disabled: 0,
        unverified: 0,
        mfa_required: 0,
      });
      expect(valueOf(after, 'auth_logins_total', { outcome: 'mfa_required' })).toBe(0);
    });

    it('should count a refresh as rotated', async () => {
      const user = await registerUser(test);
      const before = await scrape(test);

      await test.http.post('/api/v1/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);

      expect(moved(before, await scrape(test), 'auth_refreshes_total', 'outcome')).toEqual({
        rotated: 1,
        reuse_window: 0,
        reuse_detected: 0,
        invalid: 0,
      });
    });

    it('should time requests by route pattern and status, never by raw URL, and leave scrapes out', async () => {
      const user = await registerUser(test);
      await login(test, user.email);
      const id = '00000000-0000-4000-8000-000000000000';
      await test.http.get(`/api/v1/users/${id}?x=1`).set(bearer(user.accessToken)).expect(403);
      await test.http.get(`/api/v1/nothing/${id}`).expect(404);

      const samples = await scrape(test);
      const count = (labels: Record<string, string>) => valueOf(samples, 'http_request_duration_seconds_count', labels);

      expect(count({ method: 'POST', route: '/api/v1/auth/login', status: '200' })).toBeGreaterThanOrEqual(1);
      expect(count({ method: 'GET', route: '/api/v1/users/:id', status: '403' })).toBe(1);
      expect(count({ method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
      const routes = samples.filter((sample) => sample.name === 'http_request_duration_seconds_count').map((s) => s.labels.route);
      expect(routes.filter((route) => route.includes(id) || route.includes('?'))).toEqual([]);
      expect(routes).not.toContain('/metrics');
    });

    it('should count identity cache lookups and report the cache size', async () => {
      const user = await registerUser(test);
      const before = await scrape(test);

      await test.http.get('/api/v1/auth/me').set(bearer(user.accessToken)).expect(200);
      await test.http.get('/api/v1/auth/me').set(bearer(user.accessToken)).expect(200);

      const after = await scrape(test);
      const lookups = moved(before, after, 'auth_identity_cache_lookups_total', 'result');
      expect(lookups.hit + lookups.miss).toBe(2);
      expect(valueOf(after, 'auth_identity_cache_entries')).toBeGreaterThanOrEqual(0);
      expect(valueOf(after, 'auth_identity_cache_hit_ratio')).toBeGreaterThanOrEqual(0);
    });

    it('should count each delivered mail as sent', async () => {
      const user = await registerUser(test);
      await test.http.post('/api/v1/auth/password/forgot').send({ email: user.email }).expect(202);
      await waitForMail(test, user.email, /reset/i);

      // Every mail in the outbox was delivered; once counted, the two agree (mail is sent in the background).
      const delivered = async () => (await readdir(join(test.database.dataDir, 'outbox'))).length;
      await expect
        .poll(async () => {
          const samples = await scrape(test);
          return valueOf(samples, 'auth_mails_total', { result: 'sent' }) === (await delivered());
        })
        .toBe(true);
      const samples = await scrape(test);
      expect(valueOf(samples, 'auth_mails_total', { result: 'sent' })).toBeGreaterThanOrEqual(2);
      expect(valueOf(samples, 'auth_mails_total', { result: 'failed' })).toBe(0);
    });

    it("should export the pools' gauges and Node's default process metrics", async () => {
      const samples = await scrape(test);

      expect(valueOf(samples, 'auth_password_pool_threads')).toBe(2);
      expect(valueOf(samples, 'auth_password_pool_busy_threads')).toBeGreaterThanOrEqual(0);
      expect(valueOf(samples, 'auth_password_pool_queue_size')).toBeGreaterThanOrEqual(0);
      expect(valueOf(samples, 'auth_db_pool_connections')).toBeGreaterThanOrEqual(1);
      expect(valueOf(samples, 'auth_db_pool_idle_connections')).toBeGreaterThanOrEqual(0);
      expect(valueOf(samples, 'auth_db_pool_waiting_clients')).toBe(0);
      for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']) {
        expect(valueOf(samples, name), name).toBeGreaterThanOrEqual(0);
      }
    });
  });

  describe('with rate limits on', () => {
    let test: TestApp;

    beforeAll(async () => {
      test = await startTestApp({
        env: {
          METRICS_TOKEN,
          RATE_LIMIT: 'on',
          RATE_LIMIT_GLOBAL: '8/1m',
          RATE_LIMIT_LOGIN_IP: '3/1m',
          LOCKOUT_THRESHOLD: '2',
          RATE_LIMIT_REFRESH_ACCOUNT: '1/1m',
        },
      });
    });

    afterAll(async () => {
      await test?.close();
    });

    it('should count refusals by limit and lockouts as logins, and never limit the scraper', async () => {
      const before = await scrape(test);
      const { email } = await registerUser(test);
      const wrong = () => test.http.post('/api/v1/auth/login').send({ email, password: `${PASSWORD}!` });

      // The second wrong password locks the account; the third attempt is refused by the lockout, the fourth by the IP limit.
      expect((await wrong()).status).toBe(401);
      expect((await wrong()).status).toBe(401);
      expect((await wrong()).body.code).toBe('account_locked');
      expect((await wrong()).body.code).toBe('rate_limited');
      // A refused refresh token counts against its sender: one a minute here, so the next refresh is refused.
      const forged = `${randomUUID()}.${randomBytes(32).toString('base64url')}`;
      expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken: forged })).body.code).toBe(
        'refresh_token_invalid',
      );
      expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken: forged })).body.code).toBe('rate_limited');
      // Seven requests counted by the global limit so far (8 a minute); the ninth is refused.
      await test.http.get('/api/v1/auth/me').expect(401);
      expect((await test.http.get('/api/v1/auth/me')).status).toBe(429);
      for (let i = 0; i < 10; i++) await scrape(test);

      const after = await scrape(test);
      const refusals = moved(before, after, 'auth_rate_limit_refusals_total', 'limit');
      expect(Object.entries(refusals).filter(([, count]) => count > 0)).toEqual([
        ['global', 1],
        ['login_ip', 1],
        ['refresh_account', 1],
        ['lockout', 1],
      ]);
      expect(moved(before, after, 'auth_logins_total', 'outcome')).toMatchObject({ wrong_password: 2, locked: 1, success: 0 });
    });
  });
});
