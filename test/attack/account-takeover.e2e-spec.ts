import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PasswordConfirmationService } from '../../src/account/password-confirmation.service.js';
import { PasswordRecoveryService } from '../../src/account/password-recovery.service.js';
import { MailService } from '../../src/mail/mail.service.js';
import { bearer, login, registerUser, uniqueEmail, type TokenBody } from '../support/factories.js';
import { mailsTo, tokenFrom, waitForMail } from '../support/mail.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const ATTACKER_PASSWORD = 'the attacker knows this one';
const VICTIM_PASSWORD = 'the victim chose this one';

describe('attack: account takeover through a pending email change (e2e)', () => {
  let test: TestApp;
  let admin: TokenBody;

  beforeAll(async () => {
    test = await startTestApp({ env: { ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'an admin password' } });
    admin = await login(test, 'root@example.com', 'an admin password');
  });

  afterAll(async () => {
    await test?.close();
  });

  /** Asks to move the account to a fresh address; answers the link mailed there. */
  const requestEmailChange = async (accessToken: string, password: string) => {
    const newEmail = uniqueEmail('elsewhere');
    await test.http.post('/api/v1/users/me/email').set(bearer(accessToken)).send({ newEmail, password }).expect(202);
    return tokenFrom(await waitForMail(test, newEmail, /Confirm your new email/), '/confirm-email');
  };
  const confirmEmailChange = (token: string) => test.http.post('/api/v1/auth/email/change/confirm').send({ token });
  const resetPassword = async (email: string, newPassword: string) => {
    const before = (await mailsTo(test, email)).filter((mail) => /Reset your password/.test(mail.subject)).length;
    await test.http.post('/api/v1/auth/password/forgot').send({ email }).expect(202);
    const token = tokenFrom(await waitForMail(test, email, /Reset your password/, before + 1), '/reset-password');
    await test.http.post('/api/v1/auth/password/reset').send({ token, newPassword }).expect(204);
  };

  type Account = TokenBody & { email: string; password: string };
  /** What takes the account away from whoever asked to move it, and the answer a request caught in between gets. */
  const takeovers: Array<[string, (account: Account) => Promise<void>, string]> = [
    [
      'a password change',
      async (account) => {
        await test.http
          .post('/api/v1/auth/password/change')
          .set(bearer(account.accessToken))
          .send({ currentPassword: account.password, newPassword: 'a different passphrase' })
          .expect(204);
      },
      'conflict',
    ],
    ['a password reset', (account) => resetPassword(account.email, 'a different passphrase'), 'session_ended'],
    [
      'logging out everywhere',
      async (account) => {
        await test.http.post('/api/v1/auth/logout-all').set(bearer(account.accessToken)).expect(204);
      },
      'session_ended',
    ],
    [
      'an admin disabling the account (and enabling it again)',
      async (account) => {
        await test.http
          .patch(`/api/v1/users/${account.user.id}`)
          .set(bearer(admin.accessToken))
          .send({ disabled: true })
          .expect(200);
        await test.http
          .patch(`/api/v1/users/${account.user.id}`)
          .set(bearer(admin.accessToken))
          .send({ disabled: false })
          .expect(200);
      },
      'session_ended',
    ],
    [
      'the owner of the address verifying it',
      async (account) => {
        const token = tokenFrom(await waitForMail(test, account.email, /Verify your email/), '/verify-email');
        await test.http.post('/api/v1/auth/email/verify').send({ token }).expect(204);
      },
      'conflict',
    ],
  ];

  it('should not let a squatter who asked to move the victim’s address take the account back after the victim recovers it', async () => {
    const victimEmail = uniqueEmail('victim');
    const attackerEmail = uniqueEmail('attacker');
    // The attacker registers the victim's address and asks to move it to their own, then waits.
    const squatter = await registerUser(test, { email: victimEmail, password: ATTACKER_PASSWORD });
    await test.http
      .post('/api/v1/users/me/email')
      .set(bearer(squatter.accessToken))
      .send({ newEmail: attackerEmail, password: ATTACKER_PASSWORD })
      .expect(202);
    const oldLink = tokenFrom(await waitForMail(test, attackerEmail, /Confirm your new email/), '/confirm-email');

    // The victim cannot register, so recovers the account through the inbox and uses it.
    expect((await test.http.post('/api/v1/auth/register').send({ email: victimEmail, password: VICTIM_PASSWORD })).status).toBe(
      409,
    );
    await resetPassword(victimEmail, VICTIM_PASSWORD);
    const victim = await login(test, victimEmail, VICTIM_PASSWORD);

    // The attacker follows the old link.
    const followed = await confirmEmailChange(oldLink);

    expect(followed.status).toBe(400);
    expect(followed.body).toMatchObject({ code: 'one_time_token_invalid', message: 'This token has already been used' });
    const me = await test.http.get('/api/v1/auth/me').set(bearer(victim.accessToken));
    expect(me.body).toMatchObject({ email: victimEmail, emailVerified: true });
    // Nothing is left for the attacker: no account at their address, and the old password is gone.
    await test.http.post('/api/v1/auth/password/forgot').send({ email: attackerEmail }).expect(202);
    // Whatever the forgot request started has been issued and delivered: nothing can still arrive.
    await test.app.get(PasswordRecoveryService).beforeApplicationShutdown();
    await test.app.get(MailService).settle();
    expect((await mailsTo(test, attackerEmail)).map((mail) => mail.subject)).toEqual(['Confirm your new email address']);
    expect((await test.http.post('/api/v1/auth/login').send({ email: victimEmail, password: ATTACKER_PASSWORD })).status).toBe(
      401,
    );
    expect((await test.http.post('/api/v1/auth/login').send({ email: attackerEmail, password: ATTACKER_PASSWORD })).status).toBe(
      401,
    );
    expect((await test.http.get('/api/v1/auth/me').set(bearer(squatter.accessToken))).status).toBe(401);
  });

  it.each(takeovers)('should spend a pending email-change link on %s', async (_action, act) => {
    const account = await registerUser(test, { password: ATTACKER_PASSWORD });
    const link = await requestEmailChange(account.accessToken, ATTACKER_PASSWORD);

    await act(account);
    const followed = await confirmEmailChange(link);

    expect(followed.status).toBe(400);
    expect(followed.body).toMatchObject({ code: 'one_time_token_invalid', message: 'This token has already been used' });
    const email = (await test.http.get(`/api/v1/users/${account.user.id}`).set(bearer(admin.accessToken))).body.email;
    expect(email).toBe(account.email);
  });

  it.each(takeovers)(
    'should issue no link when %s lands between the password check and the issuing',
    async (_action, act, code) => {
      const account = await registerUser(test, { password: ATTACKER_PASSWORD });
      const newEmail = uniqueEmail('elsewhere');
      const confirmation = test.app.get(PasswordConfirmationService);
      const confirm = confirmation.confirm.bind(confirmation);
      const spy = vi.spyOn(confirmation, 'confirm').mockImplementationOnce(async (...args) => {
        const checked = await confirm(...args);
        await act(account);
        return checked;
      });

      const response = await test.http
        .post('/api/v1/users/me/email')
        .set(bearer(account.accessToken))
        .send({ newEmail, password: ATTACKER_PASSWORD });
      spy.mockRestore();

      expect(response.status).toBe(code === 'conflict' ? 409 : 401);
      expect(response.body.code).toBe(code);
      await test.app.get(MailService).settle();
      expect(await mailsTo(test, newEmail)).toEqual([]);
    },
  );

  it('should still let the account owner confirm a link nobody spent', async () => {
    const account = await registerUser(test, { password: ATTACKER_PASSWORD });
    const link = await requestEmailChange(account.accessToken, ATTACKER_PASSWORD);

    expect((await confirmEmailChange(link)).status).toBe(204);
  });
});
