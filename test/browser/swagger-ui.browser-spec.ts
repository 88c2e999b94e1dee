import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keep, launchBrowser, step } from '../support/browser.js';
import { PASSWORD, registerUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('Swagger UI in a real browser', () => {
  let test: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    test = await startTestApp();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await test?.close();
  });

  /** The operation block for one method and path, expanded and in "Try it out" mode. */
  async function tryItOut(page: Page, method: string, path: string): Promise<Locator> {
    const block = page
      .locator(`.opblock-${method}`)
      .filter({ has: page.locator('.opblock-summary-path', { hasText: new RegExp(`^${path}$`) }) });
    await block.locator('.opblock-summary').first().click();
    await block.getByRole('button', { name: 'Try it out' }).click();
    return block;
  }

  it('should log in through "Try it out", authorize with the token, and call /auth/me', async () => {
    const { email } = await registerUser(test, { name: 'Swagger User' });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${test.url}/docs`);

    let accessToken = '';
    await step(page, 'swagger-login', async () => {
      const login = await tryItOut(page, 'post', '/api/v1/auth/login');
      await login.locator('textarea.body-param__text').fill(JSON.stringify({ email, password: PASSWORD }));
      await login.getByRole('button', { name: 'Execute' }).click();
      const body = login.locator('.live-responses-table .response-col_description .microlight').first();
      await expect.poll(async () => (await body.textContent()) ?? '').toContain('accessToken');
      accessToken = (JSON.parse((await body.textContent()) ?? '{}') as { accessToken: string }).accessToken;
      expect(accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    });

    await step(page, 'swagger-authorize', async () => {
      await page.locator('.auth-wrapper .authorize').click();
      // The bearer scheme's box (the introspection clients' Basic scheme has one of its own).
      const bearerBox = page.locator('.modal-ux .auth-container').filter({ hasText: 'http, Bearer' });
      await bearerBox.locator('input[type="text"]').fill(accessToken);
      await bearerBox.locator('button.authorize').click();
      await expect.poll(async () => (await bearerBox.textContent()) ?? '').toContain('Logout');
      await bearerBox.locator('button.btn-done').click();
    });

    await step(page, 'swagger-me', async () => {
      const me = await tryItOut(page, 'get', '/api/v1/auth/me');
      await me.getByRole('button', { name: 'Execute' }).click();
      const status = me.locator('.live-responses-table .response .response-col_status').first();
      await expect.poll(async () => (await status.textContent())?.trim()).toBe('200');
      expect(await me.locator('.live-responses-table .response-col_description .microlight').first().textContent()).toContain(
        email,
      );
      await keep(page, '7-swagger-me');
    });
  });
});
