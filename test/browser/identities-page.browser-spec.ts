import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, keep, launchBrowser, step } from '../support/browser.js';
import { PASSWORD, registerUser, uniqueEmail } from '../support/factories.js';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('usernames and provider sign-in on the account page in a real browser', () => {
  let test: TestApp;
  let provider: TestOidcProvider;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    provider = await startOidcProvider({ redirectUris: [`${origin}/api/v1/auth/oauth/test/callback`] });
    test = await startTestApp({ port, env: { ...provider.env(), APP_URL: origin, PUBLIC_URL: origin } });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await test?.close();
    await provider?.close();
  });

  const open = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 420, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${test.url}/`);
    return page;
  };
  const message = (page: Page) => page.locator('#message');
  const signedIn = (page: Page) => expect.poll(() => page.locator('#signed-in').isVisible(), { timeout: 10_000 }).toBe(true);
  const logOut = async (page: Page) => {
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await expect.poll(() => page.locator('#signed-out').isVisible()).toBe(true);
  };

  it('should sign in with the provider from its button, refuse to unlink the only way in, then set a password and unlink', async () => {
    const email = uniqueEmail('provider');
    provider.signInAs({ sub: `page-${email}`, email, email_verified: true, name: 'Grace Provider' });
    const page = await open();

    await step(page, 'provider-sign-in', async () => {
      const button = page.getByRole('button', { name: 'Sign in with Test' });
      await expect.poll(() => button.isVisible()).toBe(true);
      await keep(page, 'identities-1-buttons');
      await button.click();
      await signedIn(page);
      expect(await page.locator('#profile-email').textContent()).toBe(email);
      expect(await page.locator('#profile-name').textContent()).toBe('Grace Provider');
      await expect.poll(() => page.locator('#identity-list').textContent()).toContain(`Test · ${email}`);
      expect(page.url()).toBe(`${test.url}/`);
      await keep(page, 'identities-2-signed-in');
    });

    await step(page, 'last-method', async () => {
      await page.locator('#identity-list').getByRole('button', { name: 'Unlink' }).click();
      await expect.poll(() => message(page).textContent()).toMatch(/only way into the account/);
      expect(await page.locator('#identity-list li').count()).toBe(1);
      await keep(page, 'identities-3-last-method');
    });

    await step(page, 'set-password', async () => {
      await page.locator('#set-password-form').getByLabel('New password').fill('a first password 4 me');
      await page.getByRole('button', { name: 'Set password' }).click();
      await expect.poll(() => message(page).textContent()).toBe('Your password is set.');
      await page.locator('#identity-list').getByRole('button', { name: 'Unlink' }).click();
      await expect.poll(() => message(page).textContent()).toBe('Test is unlinked.');
      await keep(page, 'identities-7-password-set');
    });

    await step(page, 'again', async () => {
      await logOut(page);
      await page.locator('#login-form').getByLabel('Email or username').fill(email);
      await page.locator('#login-form').getByLabel('Password').fill('a first password 4 me');
      await page.getByRole('button', { name: 'Log in', exact: true }).last().click();
      await signedIn(page);
      expect(await page.locator('#profile-email').textContent()).toBe(email);
    });
  });

  it('should register and log in with a username, link the provider, unlink it, and change the username', async () => {
    const username = `Romel${Date.now().toString(36).slice(-5)}`;
    const page = await open();

    await step(page, 'register-username', async () => {
      await page.getByRole('button', { name: 'Register' }).click();
      await page.locator('#register-form').getByLabel('Username').fill(username);
      await page.locator('#register-form').getByLabel('Password').fill('pass1425');
      await keep(page, 'identities-4-register-username');
      await page.getByRole('button', { name: 'Create account' }).click();
      await signedIn(page);
      expect(await page.locator('#profile-username').textContent()).toBe(username);
      expect(await page.locator('#profile-email').textContent()).toBe('—');
    });

    await step(page, 'login-username', async () => {
      await logOut(page);
      await page.locator('#signed-out nav').getByRole('button', { name: 'Log in' }).click();
      await page.locator('#login-form').getByLabel('Email or username').fill(username.toLowerCase());
      await page.locator('#login-form').getByLabel('Password').fill('pass1425');
      await page.getByRole('button', { name: 'Log in', exact: true }).last().click();
      await signedIn(page);
      expect(await page.locator('#profile-username').textContent()).toBe(username);
    });

    await step(page, 'link', async () => {
      const email = uniqueEmail('linked');
      provider.signInAs({ sub: `link-${username}`, email, email_verified: true, name: 'Linked' });
      await page.getByRole('button', { name: 'Link Test' }).click();
      await signedIn(page);
      await expect.poll(() => message(page).textContent()).toBe('Sign-in with Test is linked to your account.');
      await expect.poll(() => page.locator('#identity-list').textContent()).toContain(`Test · ${email}`);
      await keep(page, 'identities-5-linked');
      await page.locator('#identity-list').getByRole('button', { name: 'Unlink' }).click();
      await expect.poll(() => message(page).textContent()).toBe('Test is unlinked.');
      await expect.poll(() => page.getByRole('button', { name: 'Link Test' }).isVisible()).toBe(true);
    });

    await step(page, 'rename', async () => {
      const renamed = `${username}_2`;
      await page.locator('#username-form').getByLabel('Username').fill(renamed);
      await page.getByRole('button', { name: 'Save username' }).click();
      await expect.poll(() => page.locator('#profile-username').textContent()).toBe(renamed);
    });
  });

  it("should explain a provider sign-in refused because an account already has the provider's address", async () => {
    const owner = await registerUser(test, { email: uniqueEmail('owner'), password: PASSWORD });
    provider.signInAs({ sub: `taken-${owner.email}`, email: owner.email, email_verified: true });
    const page = await open();

    await step(page, 'email-in-use', async () => {
      await page.getByRole('button', { name: 'Sign in with Test' }).click();
      await expect.poll(() => message(page).textContent(), { timeout: 10_000 }).toMatch(/already uses the email address/);
      expect(await page.locator('#signed-out').isVisible()).toBe(true);
      expect(page.url()).toBe(`${test.url}/`);
      await keep(page, 'identities-6-email-in-use');
    });
  });
});
