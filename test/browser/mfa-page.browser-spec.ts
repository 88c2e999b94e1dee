import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { keep, launchBrowser, step } from '../support/browser.js';
import { registerUser } from '../support/factories.js';
import { waitForMail } from '../support/mail.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { codeFor } from '../support/totp.js';

describe('two-step verification on the account page in a real browser', () => {
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

  const message = (page: Page) => page.locator('#message');
  const logIn = async (page: Page, email: string, password: string) => {
    await page.locator('#login-form').getByLabel('Email').fill(email);
    await page.locator('#login-form').getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in', exact: true }).last().click();
  };
  const logOut = async (page: Page) => {
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await expect.poll(() => message(page).textContent()).toBe('You are logged out.');
  };

  it('should let a person turn on an authenticator app, keep the recovery codes, and log in with a code or a recovery code', async () => {
    const { email, password } = await registerUser(test);
    const context = await browser.newContext({ viewport: { width: 420, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: test.url });
    const page = await context.newPage();
    await page.goto(test.url);
    let secret = '';
    let recoveryCodes: string[] = [];

    try {
      await step(page, 'mfa-off', async () => {
        await logIn(page, email, password);
        await expect.poll(() => page.locator('#mfa-status').textContent()).toContain('Off');
        await page.locator('#mfa').scrollIntoViewIfNeeded();
        await keep(page, 'mfa-1-off');
      });

      await step(page, 'mfa-setup', async () => {
        await page.locator('#mfa-setup-form').getByLabel('Your password').fill(password);
        await page.getByRole('button', { name: 'Set up', exact: true }).click();
        await expect.poll(() => page.locator('#mfa-enrol').isVisible()).toBe(true);
        expect(await page.locator('#mfa-qr').getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
        // The QR code is drawn (the data URL loaded as an image under the page's CSP).
        await expect.poll(() => page.evaluate<number>("document.querySelector('#mfa-qr').naturalWidth")).toBeGreaterThan(0);
        secret = ((await page.locator('#mfa-secret').textContent()) ?? '').replace(/\s/g, '');
        expect(secret).toMatch(/^[A-Z2-7]{32}$/);
        await keep(page, 'mfa-2-scan');
      });

      await step(page, 'mfa-confirm', async () => {
        await page.locator('#mfa-confirm-form').getByLabel('Code from the app').fill(codeFor(secret));
        await page.getByRole('button', { name: 'Turn on' }).click();
        await expect.poll(() => page.locator('#mfa-code-list li').count()).toBe(10);
        recoveryCodes = await page.locator('#mfa-code-list li').allTextContents();
        await expect.poll(() => page.locator('#mfa-status').textContent()).toContain('10 recovery codes left');
        await keep(page, 'mfa-3-recovery-codes');

        await page.getByRole('button', { name: 'Copy' }).click();
        await expect.poll(() => message(page).textContent()).toBe('Recovery codes copied.');
        expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(recoveryCodes.join('\n'));
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('button', { name: 'Download' }).click(),
        ]);
        expect(download.suggestedFilename()).toBe('recovery-codes.txt');
        expect(readFileSync(await download.path(), 'utf8')).toContain(recoveryCodes.join('\n'));
        await page.getByRole('button', { name: 'I have saved them' }).click();
        expect(await page.locator('#mfa-codes').isVisible()).toBe(false);
        await waitForMail(test, email, /Two-step verification is on/);
      });

      await step(page, 'mfa-login-code', async () => {
        await logOut(page);
        await logIn(page, email, password);
        await expect.poll(() => page.locator('#mfa-login-form').isVisible()).toBe(true);
        expect(await page.locator('#login-form').isVisible()).toBe(false);
        await keep(page, 'mfa-4-code-step');
        await page
          .locator('#mfa-login-form')
          .getByLabel('Code')
          .fill('000000' === codeFor(secret, 1) ? '111111' : '000000');
        await page.getByRole('button', { name: 'Verify' }).click();
        await expect.poll(() => message(page).textContent()).toBe('That code is not right');
        await page.locator('#mfa-login-form').getByLabel('Code').fill(codeFor(secret, 1));
        await page.getByRole('button', { name: 'Verify' }).click();
        await expect.poll(() => message(page).textContent()).toBe('You are logged in.');
        await expect.poll(() => page.locator('#profile-email').textContent()).toBe(email);
        // The session survives a reload through the refresh cookie set by the second step.
        await page.reload();
        await expect.poll(() => page.locator('#profile-email').textContent()).toBe(email);
      });

      await step(page, 'mfa-login-recovery', async () => {
        await logOut(page);
        await logIn(page, email, password);
        await page.getByRole('button', { name: 'Use a recovery code' }).click();
        await page.locator('#mfa-login-form').getByLabel('Recovery code').fill(recoveryCodes[0]);
        await keep(page, 'mfa-5-recovery-code');
        await page.getByRole('button', { name: 'Verify' }).click();
        await expect.poll(() => message(page).textContent()).toBe('You are logged in. That recovery code is now used up.');
        await expect.poll(() => page.locator('#mfa-status').textContent()).toContain('9 recovery codes left');
      });

      await step(page, 'mfa-manage', async () => {
        const regenerate = page.locator('#mfa-regenerate-form');
        await regenerate.getByLabel('Your password').fill(password);
        await regenerate.getByLabel('Code from the app or a recovery code').fill(recoveryCodes[1]);
        await regenerate.getByRole('button', { name: 'Make new recovery codes' }).click();
        await expect.poll(() => message(page).textContent()).toContain('New recovery codes are ready');
        const fresh = await page.locator('#mfa-code-list li').allTextContents();
        expect(fresh).toHaveLength(10);
        await keep(page, 'mfa-6-manage');
        await page.getByRole('button', { name: 'I have saved them' }).click();

        const disable = page.locator('#mfa-disable-form');
        await disable.getByLabel('Your password').fill(password);
        await disable.getByLabel('Code from the app or a recovery code').fill(recoveryCodes[2]);
        await disable.getByRole('button', { name: 'Turn off' }).click();
        // An old code after the renewal: refused, and the person stays signed in.
        await expect.poll(() => message(page).textContent()).toBe('That code is not right');
        expect(await page.locator('#signed-in').isVisible()).toBe(true);
        await disable.getByLabel('Your password').fill(password);
        await disable.getByLabel('Code from the app or a recovery code').fill(fresh[0]);
        await disable.getByRole('button', { name: 'Turn off' }).click();
        await expect.poll(() => message(page).textContent()).toBe('Two-step verification is off.');
        await expect.poll(() => page.locator('#mfa-status').textContent()).toContain('Off');
      });
    } finally {
      await context.close();
    }
  });

  it('should not show a setup under way to the next person who signs in on the same page', async () => {
    const first = await registerUser(test);
    const second = await registerUser(test);
    const page = await browser.newPage();
    try {
      await page.goto(test.url);
      await logIn(page, first.email, first.password);
      await expect.poll(() => page.locator('#mfa-status').textContent()).toContain('Off');
      await page.locator('#mfa-setup-form').getByLabel('Your password').fill(first.password);
      await page.getByRole('button', { name: 'Set up', exact: true }).click();
      await expect.poll(() => page.locator('#mfa-enrol').isVisible()).toBe(true);
      await logOut(page);

      await logIn(page, second.email, second.password);
      // The second person's page is drawn: their setup form is offered afresh.
      await expect.poll(() => page.locator('#profile-email').textContent()).toBe(second.email);
      await expect.poll(() => page.locator('#mfa-setup-form').isVisible()).toBe(true);
      expect(await page.locator('#mfa-enrol').isVisible()).toBe(false);
      expect(await page.locator('#mfa-secret').textContent()).toBe('');
      expect(await page.locator('#mfa-qr').getAttribute('src')).toBeNull();
    } finally {
      await page.close();
    }
  });
});
