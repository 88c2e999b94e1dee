import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer, registerUser } from './support/factories.js';
import { outage } from './support/outage.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('what the log says during a database outage (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp();
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await test?.close();
  });

  it('should say once that the database is unreachable, naming the driver error, and once that it is back', async () => {
    const { accessToken } = await registerUser(test);
    const lines: string[] = [];
    const keep = (message: unknown) => void lines.push(String(message));
    for (const level of ['log', 'warn', 'error'] as const) vi.spyOn(Logger.prototype, level).mockImplementation(keep);
    const cut = outage(test);

    await cut.begin();
    try {
      for (let request = 0; request < 20; request++) {
        expect((await test.http.get('/api/v1/auth/sessions').set(bearer(accessToken))).status).toBe(503);
      }
    } finally {
      await cut.end();
    }
    await expect
      .poll(() => lines.filter((line) => line === 'database reachable again').length, { timeout: 10_000, interval: 100 })
      .toBe(1);

    const outageLines = lines.filter((line) => /database|unavailable/i.test(line));
    expect(outageLines, JSON.stringify(outageLines)).toHaveLength(2);
    expect(outageLines[0]).toMatch(/^database unreachable: \S/);
    expect(outageLines[1]).toBe('database reachable again');
  });
});
