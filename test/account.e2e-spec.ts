import { DataSource } from 'typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PasswordConfirmationService } from '../src/account/password-confirmation.service.js';
import { MailService } from '../src/mail/mail.service.js';
import { UsersService } from '../src/users/users.service.js';
import { bearer, expectErrorShape, login, PASSWORD, registerUser, uniqueEmail, type TokenBody } from './support/factories.js';
import { mailsTo, tokenFrom, waitForMail } from './support/mail.js';
import { startTestApp, withAdminClient, type TestApp } from './support/test-app.js';

const NEW_PASSWORD = 'a brand new passphrase';

describe('account lifecycle (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: { MAIL_FROM: 'Auth Test <auth@app.test>' } });
  });

  afterAll(async () => {
    await test?.close();
  });

  const verificationToken = async (email: string, count = 1) =>
    tokenFrom(await waitForMail(test, email, /Verify your email/, count), '/verify-email');
  const resetToken = async (email: string, count = 1) =>
    tokenFrom(await waitForMail(test, email, /Reset your password/, count), '/reset-password');
  const expireTokensOf = (userId: string) =>
    test.app
      .get(DataSource)
      .query(`UPDATE one_time_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [userId]);
  const me = (token: string) => test.http.get('/api/v1/auth/me').set(bearer(token));
  const refresh = (refreshToken: string) => test.http.post('/api/v1/auth/refresh').send({ refreshToken });

  describe('email verification', () => {
    it('should mail a link built from APP_URL at registration, and verify the email once', async () => {
      const { email, accessToken } = await registerUser(test);
      const mail = await waitForMail(test, email, /Verify your email/);
      expect(mail.from).toBe('Auth Test <auth@app.test>');
      expect(mail.text).toContain('24 hours');
      const token = tokenFrom(mail, '/verify-email');

      const verified = await test.http.post('/api/v1/auth/email/verify').set('Host', 'evil.example.net').send({ token });

      expect(verified.status).toBe(204);
      expect((await me(accessToken)).body.emailVerified).toBe(true);
      const again = await test.http.post('/api/v1/auth/email/verify').send({ token });
      expect(again.status).toBe(400);
      expect(again.body.message).toBe('This token has already been used');
    });

    it('should mail a new link on request, which spends the older one', async () => {
      const { email, accessToken } = await registerUser(test);
      const first = await verificationToken(email);

      const requested = await test.http.post('/api/v1/auth/email/verify/request').set(bearer(accessToken));

      expect(requested.status).toBe(202);
      expect(requested.body).toEqual({ message: 'A verification link is on its way' });
      const second = await verificationToken(email, 2);
      expect(second).not.toBe(first);
      expect((await test.http.post('/api/v1/auth/email/verify').send({ token: first })).body.message).toBe(
        'This token has already been used',
      );
      expect((await test.http.post('/api/v1/auth/email/verify').send({ token: second })).status).toBe(204);
      expect((await test.http.post('/api/v1/auth/email/verify/request').set(bearer(accessToken))).status).toBe(409);
    });

    it('should refuse an expired, unknown, malformed or foreign token with a 400 that says which', async () => {
      const { email, user } = await registerUser(test);
      const token = await verificationToken(email);
      await test.http.post('/api/v1/auth/password/forgot').send({ email }).expect(202);
      const reset = await resetToken(email);

      const foreign = await test.http.post('/api/v1/auth/email/verify').send({ token: reset });
      const unknown = await test.http.post('/api/v1/auth/email/verify').send({ token: 'A'.repeat(43) });
      const malformed = await test.http.post('/api/v1/auth/email/verify').send({ token: "x' OR 1=1" });
      await expireTokensOf(user.id);
      const expired = await test.http.post('/api/v1/auth/email/verify').send({ token });

      expect(foreign.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'one_time_token_invalid',
        message: 'This token is for another action',
      });
      expect(unknown.body.message).toBe('This token is not valid');
      expect(malformed.body.message).toBe('This token is not valid');
      expect(expired.status).toBe(400);
      expect(expired.body.message).toBe('This token has expired');
    });
  });

  describe('password change', () => {
    it('should change the password and end every other session, keeping this one', async () => {
      const { email, accessToken, refreshToken } = await registerUser(test);
      const other = await login(test, email);

      const response = await test.http
        .post('/api/v1/auth/password/change')
        .set(bearer(accessToken))
        .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });

      expect(response.status).toBe(204);
      expect((await me(other.accessToken)).status).toBe(401);
      expect((await refresh(other.refreshToken)).status).toBe(401);
      expect((await me(accessToken)).status).toBe(200);
      expect((await refresh(refreshToken)).status).toBe(200);
      expect((await test.http.post('/api/v1/auth/login').send({ email, password: PASSWORD })).status).toBe(401);
      await login(test, email, NEW_PASSWORD);
    });

    it.each([
      [{ currentPassword: 'not my password', newPassword: NEW_PASSWORD }, 403, 'password_incorrect', 'Password is incorrect'],
      [
        { currentPassword: PASSWORD, newPassword: PASSWORD },
        400,
        'password_policy',
        'The new password must differ from the current one',
      ],
      [
        { currentPassword: PASSWORD, newPassword: 'iloveyou' },
        400,
        'password_policy',
        'newPassword is too common: it is on a list of the most used passwords',
      ],
      [
        { currentPassword: PASSWORD, newPassword: 'short' },
        400,
        'validation_failed',
        'newPassword must be at least 8 bytes long (8 ASCII characters)',
      ],
      [
        { currentPassword: PASSWORD, newPassword: 'x'.repeat(73) },
        400,
        'validation_failed',
        'newPassword must be at most 72 bytes in UTF-8 (bcrypt ignores the rest)',
      ],
      [{ currentPassword: '', newPassword: NEW_PASSWORD }, 400, 'validation_failed', 'currentPassword must not be empty'],
    ])('should refuse %j', async (body, status, code, message) => {
      const { accessToken } = await registerUser(test);

      const response = await test.http.post('/api/v1/auth/password/change').set(bearer(accessToken)).send(body);

      expect(response.status).toBe(status);
      expectErrorShape(response.body, status);
      expect(response.body.code).toBe(code);
      expect([response.body.message].flat()).toContain(message);
    });

    it('should refuse with 409 a change whose current password another change replaced after it was checked', async () => {
      const { email, accessToken } = await registerUser(test);
      const confirmation = test.app.get(PasswordConfirmationService);
      const confirm = confirmation.confirm.bind(confirmation);
      const spy = vi.spyOn(confirmation, 'confirm').mockImplementationOnce(async (...args) => {
        const checked = await confirm(...args);
        await test.http
          .post('/api/v1/auth/password/change')
          .set(bearer(accessToken))
          .send({ currentPassword: PASSWORD, newPassword: 'the winning passphrase' })
          .expect(204);
        return checked;
      });

      const response = await test.http
        .post('/api/v1/auth/password/change')
        .set(bearer(accessToken))
        .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
      spy.mockRestore();

      expect(response.status).toBe(409);
      expect(response.body.code).toBe('conflict');
      await login(test, email, 'the winning passphrase');
      expect((await test.http.post('/api/v1/auth/login').send({ email, password: NEW_PASSWORD })).status).toBe(401);
    });

    it('should refuse the name part of the email as the new password, as a policy refusal', async () => {
      const { accessToken } = await registerUser(test, { email: uniqueEmail('lovelace-ada') });
      const [namePart] = ((await me(accessToken)).body.email as string).split('@');

      const response = await test.http
        .post('/api/v1/auth/password/change')
        .set(bearer(accessToken))
        .send({ currentPassword: PASSWORD, newPassword: namePart });

      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        code: 'password_policy',
        message: ['newPassword must not be your email address or its name part'],
      });
    });

    it('should mail the account address that the password was changed, when and from which client, without secrets', async () => {
      const { email, accessToken, refreshToken } = await registerUser(test);
      const userAgent = 'Evil/1.0 <script>alert("x")</script>';

      await test.http
        .post('/api/v1/auth/password/change')
        .set(bearer(accessToken))
        .set('User-Agent', userAgent)
        .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
        .expect(204);

      const notice = await waitForMail(test, email, /Your password was changed/);
      expect(notice.text).toMatch(/The password of your account was changed on \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT/);
      expect(notice.text).toContain(`from "${userAgent}" at 127.0.0.1`);
      expect(notice.text).toContain("If this wasn't you");
      expect(notice.html).toContain('Evil/1.0 &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
      expect(notice.html).not.toContain('<script>');
      for (const secret of [PASSWORD, NEW_PASSWORD, accessToken, refreshToken])
        expect(JSON.stringify(notice)).not.toContain(secret);
    });
  });

  describe('password reset', () => {
    it('should answer the same for a registered and an unknown email, and mail only the registered one', async () => {
      const { email } = await registerUser(test);
      const stranger = uniqueEmail('stranger');

      const known = await test.http.post('/api/v1/auth/password/forgot').send({ email: email.toUpperCase() });
      const unknown = await test.http.post('/api/v1/auth/password/forgot').send({ email: stranger });

      expect(known.status).toBe(202);
      expect(unknown.status).toBe(202);
      expect(unknown.body).toEqual(known.body);
      const mail = await waitForMail(test, email, /Reset your password/);
      expect(mail.text).toContain('30 minutes');
      expect(await mailsTo(test, stranger)).toEqual([]);
    });

    it('should set the new password with the mailed token and end every session', async () => {
      const { email, accessToken, refreshToken } = await registerUser(test);
      await test.http.post('/api/v1/auth/password/forgot').send({ email }).expect(202);
      const token = await resetToken(email);

      const response = await test.http.post('/api/v1/auth/password/reset').send({ token, newPassword: NEW_PASSWORD });

      expect(response.status).toBe(204);
      expect((await me(accessToken)).status).toBe(401);
      expect((await refresh(refreshToken)).status).toBe(401);
      expect((await test.http.post('/api/v1/auth/login').send({ email, password: PASSWORD })).status).toBe(401);
      const session = await login(test, email, NEW_PASSWORD);
      expect(session.user.emailVerified).toBe(true);
      const notice = await waitForMail(test, email, /Your password was changed/);
      expect(notice.text).toContain('The password of your account was reset with a link mailed to this address on ');
      expect(notice.text).not.toContain(token);
      const again = await test.http.post('/api/v1/auth/password/reset').send({ token, newPassword: 'yet another passphrase' });
      expect(again.status).toBe(400);
      expect(again.body.message).toBe('This token has already been used');
    });

    it('should accept the current password as the new one, so a link cannot test guesses of it, and refuse a policy breach', async () => {
      const { email } = await registerUser(test);
      await test.http.post('/api/v1/auth/password/forgot').send({ email }).expect(202);
      const token = await resetToken(email);

      const common = await test.http.post('/api/v1/auth/password/reset').send({ token, newPassword: 'iloveyou' });
      const same = await test.http.post('/api/v1/auth/password/reset').send({ token, newPassword: PASSWORD });

      expect(common.body).toMatchObject({
        code: 'password_policy',
        message: ['newPassword is too common: it is on a list of the most used passwords'],
      });
      expect(same.status).toBe(204);
      await login(test, email, PASSWORD);
    });

    it('should spend a reset link when a newer one is issued, on a successful login, and on a password change', async () => {
      const { email, accessToken } = await registerUser(test);
      const reset = (token: string) => test.http.post('/api/v1/auth/password/reset').send({ token, newPassword: NEW_PASSWORD });

      await test.http.post('/api/v1/auth/password/forgot').send({ email }).expect(202);
      const first = await resetToken(email, 1);
      await test.http.post('/api/v1/auth/password/forgot').send({ email }).expect(202);
      const second = await resetToken(email, 2);
      expect((await reset(first)).body.message).toBe('This token has already been used');

      await login(test, email);
      expect((await reset(second)).body.message).toBe('This token has already been used');

      await test.http.post('/api/v1/auth/password/forgot').send({ email }).expect(202);
      const third = await resetToken(email, 3);
      await test.http
        .post('/api/v1/auth/password/change')
        .set(bearer(accessToken))
        .send({ currentPassword: PASSWORD, newPassword: 'changed meanwhile!' })
        .expect(204);
      expect((await reset(third)).body.message).toBe('This token has already been used');
    });

    it('should refuse an expired reset token, and a reset token must not touch another account', async () => {
      const victim = await registerUser(test);
      const attacker = await registerUser(test);
      await test.http.post('/api/v1/auth/password/forgot').send({ email: attacker.email }).expect(202);
      const token = await resetToken(attacker.email);

      await test.http.post('/api/v1/auth/password/reset').send({ token, newPassword: NEW_PASSWORD }).expect(204);

      expect((await test.http.post('/api/v1/auth/login').send({ email: victim.email, password: NEW_PASSWORD })).status).toBe(401);
      expect((await me(victim.accessToken)).status).toBe(200);

      await test.http.post('/api/v1/auth/password/forgot').send({ email: victim.email }).expect(202);
      const victimToken = await resetToken(victim.email);
      await expireTokensOf(victim.user.id);
      const expired = await test.http.post('/api/v1/auth/password/reset').send({ token: victimToken, newPassword: NEW_PASSWORD });
      expect(expired.body.message).toBe('This token has expired');
    });
  });

  describe('profile', () => {
    it('should change the caller’s name and nothing else', async () => {
      const { accessToken } = await registerUser(test);

      const renamed = await test.http.patch('/api/v1/users/me').set(bearer(accessToken)).send({ name: ' Ada ' });
      const escalate = await test.http
        .patch('/api/v1/users/me')
        .set(bearer(accessToken))
        .send({ name: 'Ada', roles: ['admin'] });

      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ name: 'Ada', roles: ['user'] });
      expect(escalate.status).toBe(400);
      expect((await me(accessToken)).body.roles).toEqual(['user']);
    });
  });

  describe('email change', () => {
    it('should switch only when the link mailed to the new address is followed, and tell the old address', async () => {
      const { email, accessToken } = await registerUser(test);
      const newEmail = uniqueEmail('moved');

      const requested = await test.http
        .post('/api/v1/users/me/email')
        .set(bearer(accessToken))
        .send({ newEmail: newEmail.toUpperCase(), password: PASSWORD });

      expect(requested.status).toBe(202);
      expect((await me(accessToken)).body.email).toBe(email);
      const token = tokenFrom(await waitForMail(test, newEmail, /Confirm your new email/), '/confirm-email');

      expect((await test.http.post('/api/v1/auth/email/change/confirm').send({ token })).status).toBe(204);

      expect((await me(accessToken)).body).toMatchObject({ email: newEmail, emailVerified: true });
      const notice = await waitForMail(test, email, /Your email address was changed/);
      expect(notice.text).toContain(newEmail);
      await login(test, newEmail);
      expect((await test.http.post('/api/v1/auth/login').send({ email, password: PASSWORD })).status).toBe(401);
      expect((await test.http.post('/api/v1/auth/email/change/confirm').send({ token })).status).toBe(400);
    });

    // A real race needs a second connection: embedded PGlite has one, so its transactions never interleave.
    it.skipIf(!process.env.DATABASE_URL)(
      'should not deadlock a confirmation and a password change that meet while a reset link is outstanding',
      async () => {
        const { email, accessToken } = await registerUser(test);
        await test.http.post('/api/v1/auth/password/forgot').send({ email }).expect(202);
        await resetToken(email);
        const newEmail = uniqueEmail('moved');
        await test.http
          .post('/api/v1/users/me/email')
          .set(bearer(accessToken))
          .send({ newEmail, password: PASSWORD })
          .expect(202);
        const token = tokenFrom(await waitForMail(test, newEmail, /Confirm your new email/), '/confirm-email');
        // The change starts once the confirmation holds its first lock, and the confirmation goes on once the change waits on a lock.
        const users = test.app.get(UsersService);
        const changeEmail = users.changeEmail.bind(users);
        let change: Promise<{ status: number }> | undefined;
        const spy = vi.spyOn(users, 'changeEmail').mockImplementationOnce(async (...args) => {
          change = test.http
            .post('/api/v1/auth/password/change')
            .set(bearer(accessToken))
            .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
            .then((response) => response);
          await untilSomeoneWaitsOnALock(test.database.url!);
          return changeEmail(...args);
        });

        const confirmed = await test.http.post('/api/v1/auth/email/change/confirm').send({ token });
        spy.mockRestore();

        expect(confirmed.status).toBe(204);
        expect((await change!).status).toBe(204);
        await login(test, newEmail, NEW_PASSWORD);
      },
    );

    it('should answer a taken address the same as a free one, and mail nothing to it', async () => {
      const owner = await registerUser(test);
      const { accessToken } = await registerUser(test);
      const before = (await mailsTo(test, owner.email)).length;

      const response = await test.http
        .post('/api/v1/users/me/email')
        .set(bearer(accessToken))
        .send({ newEmail: owner.email, password: PASSWORD });

      expect(response.status).toBe(202);
      expect(response.body).toEqual({ message: 'If that address can be used, a confirmation link is on its way to it' });
      // Mail is handed over before the answer; once it has all been delivered, none went to the owner.
      await test.app.get(MailService).settle();
      expect(await mailsTo(test, owner.email)).toHaveLength(before);
    });

    it('should make reset links mailed to the old address useless once the email has changed', async () => {
      const { email, accessToken } = await registerUser(test);
      await test.http.post('/api/v1/auth/password/forgot').send({ email }).expect(202);
      const oldReset = await resetToken(email);
      const newEmail = uniqueEmail('moved');
      await test.http.post('/api/v1/users/me/email').set(bearer(accessToken)).send({ newEmail, password: PASSWORD }).expect(202);
      const token = tokenFrom(await waitForMail(test, newEmail, /Confirm your new email/), '/confirm-email');
      await test.http.post('/api/v1/auth/email/change/confirm').send({ token }).expect(204);

      const response = await test.http.post('/api/v1/auth/password/reset').send({ token: oldReset, newPassword: NEW_PASSWORD });

      expect(response.status).toBe(400);
      await login(test, newEmail);
    });

    it('should record the same event whether the new address is free or taken', async () => {
      const owner = await registerUser(test);
      const { accessToken } = await registerUser(test);

      await test.http
        .post('/api/v1/users/me/email')
        .set(bearer(accessToken))
        .send({ newEmail: owner.email, password: PASSWORD })
        .expect(202);
      await test.http
        .post('/api/v1/users/me/email')
        .set(bearer(accessToken))
        .send({ newEmail: uniqueEmail('free'), password: PASSWORD })
        .expect(202);

      const events = await test.http.get('/api/v1/auth/events').set(bearer(accessToken));
      const [free, taken] = (events.body.items as Array<{ type: string; detail: unknown }>).slice(0, 2);
      expect(free).toMatchObject({ type: 'email_change_requested' });
      expect(taken).toMatchObject({ type: 'email_change_requested', detail: free.detail });
    });

    it('should refuse a wrong password and the current address', async () => {
      const { email, accessToken } = await registerUser(test);

      const wrong = await test.http
        .post('/api/v1/users/me/email')
        .set(bearer(accessToken))
        .send({ newEmail: uniqueEmail(), password: 'not it at all' });
      const same = await test.http
        .post('/api/v1/users/me/email')
        .set(bearer(accessToken))
        .send({ newEmail: email, password: PASSWORD });

      expect(wrong.status).toBe(403);
      expect(wrong.body.code).toBe('password_incorrect');
      expect(same.status).toBe(400);
      expect(same.body.code).toBe('email_unchanged');
    });
  });

  describe('account deletion', () => {
    it('should delete the account with the password; sessions end and the email can register again', async () => {
      const { email, accessToken, refreshToken } = await registerUser(test);

      const wrong = await test.http.delete('/api/v1/users/me').set(bearer(accessToken)).send({ password: 'not the password' });
      expect(wrong.status).toBe(403);
      expect((await me(accessToken)).status).toBe(200);

      const response = await test.http.delete('/api/v1/users/me').set(bearer(accessToken)).send({ password: PASSWORD });

      expect(response.status).toBe(204);
      expect((await me(accessToken)).status).toBe(401);
      expect((await refresh(refreshToken)).status).toBe(401);
      await registerUser(test, { email });
    });

    it('should answer 401 session_ended, not 404, when the account is deleted while its password is being confirmed', async () => {
      const { accessToken, user } = await registerUser(test);
      const users = test.app.get(UsersService);
      const findByIdWithPassword = users.findByIdWithPassword.bind(users);
      const spy = vi.spyOn(users, 'findByIdWithPassword').mockImplementationOnce(async (...args) => {
        await test.app.get(DataSource).query('DELETE FROM users WHERE id = $1', [user.id]);
        return findByIdWithPassword(...args);
      });

      const response = await test.http.delete('/api/v1/users/me').set(bearer(accessToken)).send({ password: PASSWORD });
      spy.mockRestore();

      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'session_ended', message: 'Session has ended' });
    });

    it('should refuse a password over 72 bytes on every route that checks the current one, even when its first 72 bytes match', async () => {
      const password = 'a passphrase that is exactly seventy-two bytes long, to test the limit!!';
      expect(Buffer.byteLength(password)).toBe(72);
      const { accessToken } = await registerUser(test, { password });
      const longer = `${password} and then some`;
      const tooLong = 'must be at most 72 bytes in UTF-8 (bcrypt ignores the rest)';

      const deletion = await test.http.delete('/api/v1/users/me').set(bearer(accessToken)).send({ password: longer });
      const emailChange = await test.http
        .post('/api/v1/users/me/email')
        .set(bearer(accessToken))
        .send({ newEmail: uniqueEmail(), password: longer });
      const change = await test.http
        .post('/api/v1/auth/password/change')
        .set(bearer(accessToken))
        .send({ currentPassword: longer, newPassword: NEW_PASSWORD });
      const empty = await test.http.delete('/api/v1/users/me').set(bearer(accessToken)).send({ password: '' });

      expect(deletion.status).toBe(400);
      expect(deletion.body.message).toEqual([`password ${tooLong}`]);
      expect(emailChange.status).toBe(400);
      expect(emailChange.body.message).toEqual([`password ${tooLong}`]);
      expect(change.status).toBe(400);
      expect(change.body.message).toEqual([`currentPassword ${tooLong}`]);
      expect(empty.body.message).toEqual(['password must not be empty']);
      expect((await me(accessToken)).status).toBe(200);
    });
  });

  describe('audit log', () => {
    it('should list the caller’s own security events, newest first, without secrets', async () => {
      const { email, accessToken } = await registerUser(test);
      await test.http.post('/api/v1/auth/login').send({ email, password: 'wrong password' }).expect(401);
      const session = await login(test, email);
      await test.http.post('/api/v1/auth/logout').set(bearer(session.accessToken)).expect(204);

      const response = await test.http.get('/api/v1/auth/events').set(bearer(accessToken)).query({ limit: 3 });

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ total: 4, page: 1, limit: 3 });
      expect(response.body.items.map((e: { type: string }) => e.type)).toEqual(['logout', 'login_success', 'login_failure']);
      expect(response.body.items[2]).toMatchObject({ ip: '127.0.0.1', detail: { reason: 'wrong_password' } });
      const text = JSON.stringify(response.body);
      expect(text).not.toContain(session.accessToken);
      expect(text).not.toMatch(/passwordHash|tokenHash|token_hash|\$2[aby]\$/);
    });
  });
});

/** Until a connection to this database waits on a lock (at most 5 s, so a change that never blocks does not hang the test). */
async function untilSomeoneWaitsOnALock(databaseUrl: string): Promise<void> {
  await withAdminClient(databaseUrl, async (client) => {
    for (let waited = 0; waited < 5_000; waited += 20) {
      const { rows } = await client.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (rows[0].waiting > 0) return;
      await sleep(20);
    }
  });
}

describe('admin account controls (e2e)', () => {
  let test: TestApp;
  let admin: TokenBody;

  beforeAll(async () => {
    test = await startTestApp({ env: { ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'an admin password' } });
    admin = await login(test, 'root@example.com', 'an admin password');
  });

  afterAll(async () => {
    await test?.close();
  });

  it('should disable an account at once: live tokens stop, login and refresh are refused; enabling lets it log in again', async () => {
    const target = await registerUser(test);

    const disabled = await test.http
      .patch(`/api/v1/users/${target.user.id}`)
      .set(bearer(admin.accessToken))
      .send({ disabled: true });

    expect(disabled.status).toBe(200);
    expect(disabled.body.disabled).toBe(true);
    expect((await test.http.get('/api/v1/auth/me').set(bearer(target.accessToken))).status).toBe(401);
    expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken: target.refreshToken })).status).toBe(401);
    const refused = await test.http.post('/api/v1/auth/login').send({ email: target.email, password: PASSWORD });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('This account is disabled');
    const wrongPassword = await test.http.post('/api/v1/auth/login').send({ email: target.email, password: 'wrong password' });
    expect(wrongPassword.status).toBe(401);

    await test.http.patch(`/api/v1/users/${target.user.id}`).set(bearer(admin.accessToken)).send({ disabled: false }).expect(200);
    const session = await login(test, target.email);
    expect((await test.http.get('/api/v1/auth/me').set(bearer(session.accessToken))).status).toBe(200);
    expect((await test.http.get('/api/v1/auth/me').set(bearer(target.accessToken))).status).toBe(401);
  });

  it('should keep a user’s events for admins, including role changes and after deletion, and refuse them to others', async () => {
    const target = await registerUser(test);
    await test.http
      .patch(`/api/v1/users/${target.user.id}`)
      .set(bearer(admin.accessToken))
      .send({ roles: ['user', 'admin'] })
      .expect(200);
    await test.http.delete(`/api/v1/users/${target.user.id}`).set(bearer(admin.accessToken)).expect(204);
    const other = await registerUser(test);

    const response = await test.http.get(`/api/v1/users/${target.user.id}/events`).set(bearer(admin.accessToken));
    const forbidden = await test.http.get(`/api/v1/users/${target.user.id}/events`).set(bearer(other.accessToken));

    expect(response.status).toBe(200);
    expect(response.body.items.map((e: { type: string }) => e.type)).toEqual(['account_deleted', 'roles_changed', 'register']);
    expect(response.body.items[1].detail).toEqual({ by: admin.user.id, from: ['user'], to: ['user', 'admin'] });
    expect(forbidden.status).toBe(403);
  });

  it('should not let the last admin be disabled or delete itself', async () => {
    const disable = await test.http
      .patch(`/api/v1/users/${admin.user.id}`)
      .set(bearer(admin.accessToken))
      .send({ disabled: true });
    const remove = await test.http
      .delete('/api/v1/users/me')
      .set(bearer(admin.accessToken))
      .send({ password: 'an admin password' });

    expect(disable.status).toBe(409);
    expect(remove.status).toBe(409);
  });
});

describe('registration with REQUIRE_EMAIL_VERIFICATION=true (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: { REQUIRE_EMAIL_VERIFICATION: 'true' } });
  });

  afterAll(async () => {
    await test?.close();
  });

  it('should answer the user without tokens, and refuse login until the mailed link is followed', async () => {
    const email = uniqueEmail('pending');

    const registered = await test.http.post('/api/v1/auth/register').send({ email, password: PASSWORD });

    expect(registered.status).toBe(201);
    expect(registered.body.accessToken).toBeUndefined();
    expect(registered.body.refreshToken).toBeUndefined();
    expect(registered.body.user).toMatchObject({ email, emailVerified: false });
    const refused = await test.http.post('/api/v1/auth/login').send({ email, password: PASSWORD });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/Verify your email address/);
    expect((await test.http.post('/api/v1/auth/login').send({ email, password: 'wrong password' })).status).toBe(401);

    const token = tokenFrom(await waitForMail(test, email, /Verify your email/), '/verify-email');
    await test.http.post('/api/v1/auth/email/verify').send({ token }).expect(204);

    const session = await login(test, email);
    expect(session.user.emailVerified).toBe(true);
  });
});
