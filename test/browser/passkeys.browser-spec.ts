import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, keep, launchBrowser, step } from '../support/browser.js';
import { PASSWORD, uniqueEmail } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('passkeys on the account page in a real browser', () => {
  let test: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let origin: string;

  beforeAll(async () => {
    const port = await freePort();
    // localhost, not 127.0.0.1: an IP address is not a valid RP ID, and localhost is a secure context over http.
    origin = `http://localhost:${port}`;
    test = await startTestApp({ port, env: { APP_URL: origin } });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 420, height: 900 } });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await test?.close();
  });

  /** A platform authenticator with discoverable credentials and user verification, on the page's DevTools session. */
  async function addVirtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return { cdp, authenticatorId };
  }

  const message = (page: Page) => page.locator('#message');
  const passkeyItems = (page: Page) => page.locator('#passkey-list li[data-passkey-id]');
  const showLogIn = (page: Page) => page.locator('nav').getByRole('button', { name: 'Log in' }).click();

  it('should add a passkey, rename it, sign in with it alone, and remove it', async () => {
    const email = uniqueEmail('passkey');
    const page = await context.newPage();
    const { cdp, authenticatorId } = await addVirtualAuthenticator(page);
    await page.goto(`${origin}/`);

    await step(page, 'passkey-register', async () => {
      await page.getByRole('button', { name: 'Register' }).click();
      await page.locator('#register-form').getByLabel('Email').fill(email);
      await page.locator('#register-form').getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await expect.poll(() => page.locator('#profile-email').textContent()).toBe(email);
      await expect.poll(() => page.locator('#passkey-list').textContent()).toBe('No passkeys yet.');
      await keep(page, 'passkeys-1-none');
    });

    await step(page, 'passkey-add', async () => {
      await page.locator('#passkey-add-form').getByLabel('Name').fill('This laptop');
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      await expect.poll(() => message(page).textContent()).toBe('Your passkey is added.');
      await expect.poll(() => passkeyItems(page).count()).toBe(1);
      expect(await passkeyItems(page).locator('strong').textContent()).toBe('This laptop');
      expect(await passkeyItems(page).locator('.passkey-details').textContent()).toContain('last used never');
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      expect(credentials).toHaveLength(1);
      expect(credentials[0].isResidentCredential).toBe(true);
      await keep(page, 'passkeys-2-added');
    });

    await step(page, 'passkey-rename', async () => {
      await passkeyItems(page).getByRole('button', { name: 'Rename' }).click();
      await passkeyItems(page).getByLabel('New name').fill('Work laptop');
      await keep(page, 'passkeys-3-rename');
      await passkeyItems(page).getByRole('button', { name: 'Save name' }).click();
      await expect.poll(() => message(page).textContent()).toBe('The passkey is renamed.');
      expect(await passkeyItems(page).locator('strong').textContent()).toBe('Work laptop');
    });

    await step(page, 'passkey-sign-in', async () => {
      await page.getByRole('button', { name: 'Log out', exact: true }).click();
      await expect.poll(() => message(page).textContent()).toBe('You are logged out.');
      await showLogIn(page);
      await expect.poll(() => page.getByRole('button', { name: 'Sign in with a passkey' }).isVisible()).toBe(true);
      await keep(page, 'passkeys-4-sign-in');
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await expect.poll(() => message(page).textContent()).toBe('You are signed in with your passkey.');
      expect(await page.locator('#profile-email').textContent()).toBe(email);
      await expect.poll(() => passkeyItems(page).locator('.passkey-details').textContent()).not.toContain('last used never');
      // The refresh cookie was set: a reload signs back in.
      await page.reload();
      await expect.poll(() => page.locator('#profile-email').textContent()).toBe(email);
      await expect.poll(() => passkeyItems(page).count()).toBe(1);
      await keep(page, 'passkeys-5-signed-in');
    });

    await step(page, 'passkey-remove', async () => {
      await passkeyItems(page).getByRole('button', { name: 'Remove' }).click();
      await passkeyItems(page).getByLabel('Your password, to confirm').fill('not the password');
      await page.getByRole('button', { name: 'Remove passkey' }).click();
      await expect.poll(() => message(page).textContent()).toBe('Password is incorrect');
      await passkeyItems(page).getByLabel('Your password, to confirm').fill(PASSWORD);
      await keep(page, 'passkeys-6-remove');
      await page.getByRole('button', { name: 'Remove passkey' }).click();
      await expect.poll(() => message(page).textContent()).toBe('The passkey is removed.');
      await expect.poll(() => page.locator('#passkey-list').textContent()).toBe('No passkeys yet.');
    });

    await step(page, 'passkey-refused-after-removal', async () => {
      await page.getByRole('button', { name: 'Log out', exact: true }).click();
      await expect.poll(() => message(page).textContent()).toBe('You are logged out.');
      // The authenticator still holds the credential; the service no longer knows it.
      await showLogIn(page);
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await expect.poll(() => message(page).textContent()).toBe('This passkey could not sign you in');
      expect(await page.locator('#signed-out').isVisible()).toBe(true);
      await keep(page, 'passkeys-7-refused');
    });
  });
});
