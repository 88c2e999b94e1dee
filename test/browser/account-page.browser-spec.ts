import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keep, launchBrowser, step } from '../support/browser.js';
import { PASSWORD, uniqueEmail } from '../support/factories.js';
import { waitForMail } from '../support/mail.js';
import { startTestApp, TEST_APP_URL, type TestApp } from '../support/test-app.js';

const NEW_PASSWORD = 'a brand new passphrase';

describe('the account page in a real browser', () => {
  let test: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    test = await startTestApp();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await test?.close();
  });

  const open = async (path = '/'): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 420, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${test.url}${path}`);
    return page;
  };
  /** A link from a mail, opened on the app under test (mails point at APP_URL). */
  const linkIn = async (to: string, subject: RegExp) => {
    const mail = await waitForMail(test, to, subject);
    const link = new RegExp(`${TEST_APP_URL.replace(/\./g, '\\.')}(/[\\w-]+\\?token=[\\w-]+)`).exec(mail.text)?.[1];
    expect(link).toBeDefined();
    return link!;
  };
  const message = (page: Page) => page.locator('#message');
  const logIn = async (page: Page, email: string, password: string) => {
    await page.locator('#login-form').getByLabel('Email').fill(email);
    await page.locator('#login-form').getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in', exact: true }).last().click();
  };

  it('should take a person through register, verify, log out and in, reload, password change, sessions and logout everywhere', async () => {
    const email = uniqueEmail('browser');
    const page = await open();

    await step(page, 'register', async () => {
      await keep(page, '1-log-in');
      await page.getByRole('button', { name: 'Register' }).click();
      await page.locator('#register-form').getByLabel('Name', { exact: true }).fill('Ada Lovelace');
      await page.locator('#register-form').getByLabel('Email').fill(email);
      await page.locator('#register-form').getByLabel('Password').fill(PASSWORD);
      await keep(page, '2-register');
      await page.getByRole('button', { name: 'Create account' }).click();
      await expect.poll(() => page.locator('#profile-email').textContent()).toBe(email);
      expect(await page.locator('#profile-verified').textContent()).toBe('no');
    });

    await step(page, 'verify', async () => {
      await page.goto(`${test.url}${await linkIn(email, /Verify your email/)}`);
      await expect.poll(() => message(page).textContent()).toBe('Your email address is verified.');
      await expect.poll(() => page.locator('#profile-verified').textContent()).toBe('yes');
      await keep(page, '3-profile');
    });

    await step(page, 'logout-login-reload', async () => {
      await page.getByRole('button', { name: 'Log out', exact: true }).click();
      await expect.poll(() => message(page).textContent()).toBe('You are logged out.');
      await page.reload();
      await expect.poll(() => page.locator('#signed-out').isVisible()).toBe(true);
      await logIn(page, email, PASSWORD);
      await expect.poll(() => message(page).textContent()).toBe('You are logged in.');
      await page.reload();
      await expect.poll(() => page.locator('#profile-email').textContent()).toBe(email);
    });

    await step(page, 'change-password', async () => {
      await page.getByLabel('Current password').fill(PASSWORD);
      await page.locator('#password-form').getByLabel('New password').fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Change password' }).click();
      await expect.poll(() => message(page).textContent()).toBe('Your password has changed. Your other sessions have ended.');
    });

    const other = await open();
    await step(other, 'second-session', async () => {
      await logIn(other, email, NEW_PASSWORD);
      await expect.poll(() => other.locator('#profile-email').textContent()).toBe(email);
      await page.reload();
      await expect.poll(() => page.locator('#sessions li').count()).toBe(2);
      await keep(page, '4-sessions');
    });

    await step(page, 'end-other-session', async () => {
      await page.getByRole('button', { name: 'End this session' }).click();
      await expect.poll(() => message(page).textContent()).toBe('That session has ended.');
      await expect.poll(() => page.locator('#sessions li').count()).toBe(1);
      await other.reload();
      await expect.poll(() => other.locator('#signed-out').isVisible()).toBe(true);
    });

    await step(page, 'logout-everywhere', async () => {
      await page.getByRole('button', { name: 'Log out everywhere' }).click();
      await expect.poll(() => message(page).textContent()).toBe('You are logged out everywhere.');
      await page.reload();
      await expect.poll(() => page.locator('#signed-out').isVisible()).toBe(true);
    });
  });

  it('should reset a forgotten password through the mailed link', async () => {
    const email = uniqueEmail('forgot');
    await test.http.post('/api/v1/auth/register').send({ email, password: PASSWORD }).expect(201);
    const page = await open();

    await step(page, 'forgot', async () => {
      await page.getByRole('button', { name: 'Forgot password' }).click();
      await page.locator('#forgot-form').getByLabel('Email').fill(email);
      await page.getByRole('button', { name: 'Send a reset link' }).click();
      await expect
        .poll(() => message(page).textContent())
        .toBe('If that address belongs to an account, a reset link is on its way');
      await page.goto(`${test.url}${await linkIn(email, /Reset your password/)}`);
      await page.locator('#reset-form').getByLabel('New password').fill(NEW_PASSWORD);
      await keep(page, '5-reset-password');
      await page.getByRole('button', { name: 'Set password' }).click();
      await expect.poll(() => message(page).textContent()).toBe('Your password has changed. Log in with the new one.');
      await logIn(page, email, NEW_PASSWORD);
      await expect.poll(() => page.locator('#profile-email').textContent()).toBe(email);
    });
  });

  it('should say so when the password is wrong (using the keyboard only)', async () => {
    const page = await open();

    await step(page, 'wrong-password', async () => {
      // By keyboard only: Tab through the labelled fields, Enter submits.
      await page.locator('#login-form').getByLabel('Email').focus();
      await page.keyboard.type(uniqueEmail('nobody'));
      await page.keyboard.press('Tab');
      await page.keyboard.type('not the password');
      await page.keyboard.press('Enter');
      await expect.poll(() => message(page).textContent()).toBe('Invalid email, username or password');
      expect(await message(page).getAttribute('class')).toContain('error');
    });
  });
});

describe('the account page under rate limits', () => {
  let test: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    test = await startTestApp({ env: { RATE_LIMIT: 'on', RATE_LIMIT_LOGIN_IP: '2/1m' } });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await test?.close();
  });

  it('should show the wait time when logins are limited', async () => {
    const page = await browser.newPage();
    await page.goto(`${test.url}/`);

    await step(page, 'rate-limit', async () => {
      for (let i = 0; i < 3; i++) {
        await page.locator('#login-form').getByLabel('Email').fill(uniqueEmail('limited'));
        await page.locator('#login-form').getByLabel('Password').fill('not the password');
        await page.getByRole('button', { name: 'Log in', exact: true }).last().click();
        await expect
          .poll(() => page.locator('#message').textContent())
          .toMatch(i < 2 ? /Invalid email, username or password/ : /try again in \d+ seconds/);
      }
      await keep(page, '6-rate-limited');
    });
  });
});
