import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestDatabase } from './support/test-app.js';

const PRODUCTION = { NODE_ENV: 'production', MAIL_TRANSPORT: 'outbox' };

describe('API documentation switch, DOCS_ENABLED (e2e)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    // One database for the apps below, started one after the other.
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  async function docsStatus(env: Record<string, string>): Promise<{ ui: number; json: number }> {
    const test = await startTestApp({ database, env });
    try {
      const [ui, json] = await Promise.all([test.http.get('/docs'), test.http.get('/docs-json')]);
      return { ui: ui.status, json: json.status };
    } finally {
      await test.close();
    }
  }

  it('should serve /docs and /docs-json by default outside production', async () => {
    await expect(docsStatus({})).resolves.toEqual({ ui: 200, json: 200 });
  });

  it('should answer 404 for both when DOCS_ENABLED=false', async () => {
    await expect(docsStatus({ DOCS_ENABLED: 'false' })).resolves.toEqual({ ui: 404, json: 404 });
  });

  it('should answer 404 for both by default in production', async () => {
    await expect(docsStatus(PRODUCTION)).resolves.toEqual({ ui: 404, json: 404 });
  });

  it('should serve both in production when DOCS_ENABLED=true', async () => {
    await expect(docsStatus({ ...PRODUCTION, DOCS_ENABLED: 'true' })).resolves.toEqual({ ui: 200, json: 200 });
  });
});
