import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeJwt } from 'jose';
import { DataSource } from 'typeorm';
import { bearer, expectErrorShape, login, PASSWORD, registerUser, type TokenBody } from './support/factories.js';
import { mailsTo, waitForMail } from './support/mail.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { codeFor } from './support/totp.js';

const ADMIN = { ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'an admin password' };
const COOKIE_MODE = { 'X-Token-Transport': 'cookie' };

interface Challenge {
  mfaRequired: true;
  mfaToken: string;
  methods: string[];
}

describe('TOTP second factor and recovery codes (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: { ...ADMIN, REQUIRE_MFA_FOR_ADMINS: 'true', WEBAUTHN_RP_NAME: 'Example Auth' } });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  afterAll(async () => {
    await test?.close();
  });

  const post = (path: string, body: object, token?: string) => {
    const request = test.http.post(`/api/v1${path}`).send(body);
    return token ? request.set(bearer(token)) : request;
  };

  /** Sets up and confirms TOTP from this session; the secret and the recovery codes. */
  const turnOn = async (accessToken: string, password = PASSWORD) => {
    const setup = await post('/auth/mfa/totp/setup', { password }, accessToken);
    expect(setup.status, JSON.stringify(setup.body)).toBe(200);
    const { secret } = setup.body as { secret: string };
    const confirmed = await post('/auth/mfa/totp/confirm', { code: codeFor(secret) }, accessToken);
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    return { secret, recoveryCodes: (confirmed.body as { recoveryCodes: string[] }).recoveryCodes };
  };

  const challenge = async (email: string, password = PASSWORD): Promise<Challenge> => {
    const response = await post('/auth/login', { email, password });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toEqual({ mfaRequired: true, mfaToken: expect.any(String), methods: ['totp', 'recovery_code'] });
    expect(response.headers['set-cookie']).toBeUndefined();
    return response.body as Challenge;
  };

  const verify = (mfaToken: string, code: string) => post('/auth/mfa/verify', { mfaToken, code });

  const eventTypes = async (accessToken: string) => {
    const events = await test.http.get('/api/v1/auth/events').set(bearer(accessToken)).query({ limit: 50 });
    return (events.body.items as Array<{ type: string; detail: Record<string, unknown> }>).map((event) => event.type);
  };

  it('should take an account through setup, confirm, code logins, replay, recovery codes, regenerate and disable', async () => {
    const user = await registerUser(test);
    const other = await login(test, user.email);

    const wrongPassword = await post('/auth/mfa/totp/setup', { password: 'not the password' }, user.accessToken);
    expect(wrongPassword.status).toBe(403);
    expect(wrongPassword.body).toMatchObject({ code: 'password_incorrect' });

    const setup = await post('/auth/mfa/totp/setup', { password: PASSWORD }, user.accessToken);
    expect(setup.status, JSON.stringify(setup.body)).toBe(200);
    expect(setup.headers['cache-control']).toBe('no-store');
    const { secret, otpauthUrl, qrCode } = setup.body as { secret: string; otpauthUrl: string; qrCode: string };
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUrl).toBe(
      `otpauth://totp/Example%20Auth:${encodeURIComponent(user.email)}?secret=${secret}&issuer=Example%20Auth&algorithm=SHA1&digits=6&period=30`,
    );
    expect(Buffer.from(qrCode.replace(/^data:image\/svg\+xml;base64,/, ''), 'base64').toString()).toContain('<svg');

    // Pending until confirmed: the login does not ask for a code yet.
    expect((await post('/auth/login', { email: user.email, password: PASSWORD })).body).toHaveProperty('accessToken');

    const wrongCode = await post('/auth/mfa/totp/confirm', { code: codeFor(secret, 5) }, user.accessToken);
    // On a signed-in route a wrong code is 403, as a wrong password is: not a reason to renew the token.
    expect(wrongCode.status).toBe(403);
    expect(wrongCode.body).toMatchObject({ code: 'mfa_code_incorrect' });
    expectErrorShape(wrongCode.body, 403);

    const confirmStep = codeFor(secret);
    const confirmed = await post('/auth/mfa/totp/confirm', { code: confirmStep }, user.accessToken);
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    const { recoveryCodes } = confirmed.body as { recoveryCodes: string[] };
    expect(recoveryCodes).toHaveLength(10);
    const status = await test.http.get('/api/v1/auth/mfa').set(bearer(user.accessToken));
    expect(status.body).toEqual({ totp: true, recoveryCodesLeft: 10 });
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    await waitForMail(test, user.email, /Two-step verification is on/);

    // The other sessions ended; this one stays, and its next tokens say a second factor was proven.
    expect((await test.http.get('/api/v1/auth/me').set(bearer(other.accessToken))).status).toBe(401);
    expect((await test.http.get('/api/v1/auth/me').set(bearer(user.accessToken))).status).toBe(200);
    const refreshed = await post('/auth/refresh', { refreshToken: user.refreshToken });
    expect(decodeJwt((refreshed.body as TokenBody).accessToken).amr).toEqual(['pwd', 'otp']);

    // The secret is never answered again, and is stored sealed.
    const again = await post('/auth/mfa/totp/setup', { password: PASSWORD }, user.accessToken);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'mfa_already_enabled' });
    const [stored] = await test.app
      .get(DataSource)
      .query<Array<{ secret_sealed: string }>>('SELECT secret_sealed FROM totp_factors WHERE user_id = $1', [user.user.id]);
    expect(stored.secret_sealed).not.toContain(secret);

    // Login now asks for a code; a wrong one is refused and audited.
    const first = await challenge(user.email);
    const refused = await verify(first.mfaToken, '000000' === codeFor(secret, 1) ? '111111' : '000000');
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'mfa_code_invalid' });
    // The code of the next step (drift of one step) is accepted: a session with amr pwd + otp.
    const nextCode = codeFor(secret, 1);
    const passed = await verify(first.mfaToken, nextCode);
    expect(passed.status, JSON.stringify(passed.body)).toBe(200);
    const session = passed.body as TokenBody;
    expect(decodeJwt(session.accessToken).amr).toEqual(['pwd', 'otp']);
    expect(session.refreshToken).toEqual(expect.any(String));
    // The mfaToken worked once.
    const spent = await verify(first.mfaToken, nextCode);
    expect(spent.status).toBe(401);
    expect(spent.body).toMatchObject({ code: 'mfa_token_invalid' });

    // The same code again, on a new login: refused (no replay within its step, nor of an older step).
    const second = await challenge(user.email);
    const replayed = await verify(second.mfaToken, nextCode);
    expect(replayed.status).toBe(401);
    expect(replayed.body).toMatchObject({ code: 'mfa_code_invalid', message: expect.stringContaining('already used') });
    expect((await verify(second.mfaToken, confirmStep)).status).toBe(401);

    // A recovery code works once, typed in capitals and without its dash too; the address is told how many remain.
    const recovery = await verify(second.mfaToken, recoveryCodes[0].replace('-', '').toUpperCase());
    expect(recovery.status, JSON.stringify(recovery.body)).toBe(200);
    expect(decodeJwt((recovery.body as TokenBody).accessToken).amr).toEqual(['pwd', 'otp']);
    const usedMail = await waitForMail(test, user.email, /A recovery code was used/);
    expect(usedMail.text).toContain('9 are left');
    const third = await challenge(user.email);
    expect((await verify(third.mfaToken, recoveryCodes[0])).status).toBe(401);

    // New recovery codes (password and a code): the old ones die.
    const wrongRegenerate = await post('/auth/mfa/recovery-codes', { password: PASSWORD, code: '123-456' }, session.accessToken);
    expect(wrongRegenerate.status).toBe(403);
    const regenerated = await post(
      '/auth/mfa/recovery-codes',
      { password: PASSWORD, code: recoveryCodes[1] },
      session.accessToken,
    );
    expect(regenerated.status, JSON.stringify(regenerated.body)).toBe(200);
    const newCodes = (regenerated.body as { recoveryCodes: string[] }).recoveryCodes;
    expect(newCodes).toHaveLength(10);
    expect(newCodes).not.toContain(recoveryCodes[2]);
    await waitForMail(test, user.email, /New recovery codes/);
    expect((await verify(third.mfaToken, recoveryCodes[2])).status).toBe(401);
    expect((await verify(third.mfaToken, newCodes[0])).status).toBe(200);

    // Turning it off takes the password and a code (a minute later, a fresh one); then login asks for none.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 60_000 });
    const badPassword = await test.http
      .delete('/api/v1/auth/mfa/totp')
      .set(bearer(session.accessToken))
      .send({ password: 'not the password', code: codeFor(secret) });
    expect(badPassword.status).toBe(403);
    const off = await test.http
      .delete('/api/v1/auth/mfa/totp')
      .set(bearer(session.accessToken))
      .send({ password: PASSWORD, code: codeFor(secret) });
    expect(off.status, JSON.stringify(off.body)).toBe(204);
    vi.useRealTimers();
    await waitForMail(test, user.email, /Two-step verification is off/);
    const plain = await login(test, user.email);
    expect(decodeJwt(plain.accessToken).amr).toEqual(['pwd']);
    const offAgain = await test.http
      .delete('/api/v1/auth/mfa/totp')
      .set(bearer(plain.accessToken))
      .send({ password: PASSWORD, code: newCodes[1] });
    expect(offAgain.status).toBe(409);
    expect(offAgain.body).toMatchObject({ code: 'mfa_not_enabled' });

    const types = await eventTypes(plain.accessToken);
    for (const type of ['totp_enabled', 'recovery_codes_regenerated', 'totp_disabled', 'login_failure'])
      expect(types, type).toContain(type);
  });

  it('should kill an mfaToken after 5 wrong codes, after 5 minutes, and when sent in another transport', async () => {
    const user = await registerUser(test);
    const { secret } = await turnOn(user.accessToken);

    const guessed = await challenge(user.email);
    for (let i = 0; i < 5; i++) expect((await verify(guessed.mfaToken, `${100000 + i}`)).status).toBe(401);
    const dead = await verify(guessed.mfaToken, codeFor(secret, 1));
    expect(dead.status).toBe(401);
    expect(dead.body).toMatchObject({ code: 'mfa_token_invalid' });

    const late = await challenge(user.email);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 5 * 60_000 + 1000 });
    const expired = await verify(late.mfaToken, codeFor(secret));
    vi.useRealTimers();
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ code: 'mfa_token_invalid' });

    // A cookie-mode login: no cookie for the challenge, and the second step must be in cookie mode too.
    const cookieLogin = await post('/auth/login', { email: user.email, password: PASSWORD }).set(COOKIE_MODE);
    expect(cookieLogin.status).toBe(200);
    expect(cookieLogin.headers['set-cookie']).toBeUndefined();
    const { mfaToken } = cookieLogin.body as Challenge;
    const inBody = await verify(mfaToken, codeFor(secret, 1));
    expect(inBody.status).toBe(401);
    expect(inBody.body).toMatchObject({ code: 'mfa_token_invalid' });
    const inCookie = await post('/auth/mfa/verify', { mfaToken, code: codeFor(secret, 1) }).set(COOKIE_MODE);
    expect(inCookie.status, JSON.stringify(inCookie.body)).toBe(200);
    expect(inCookie.body).not.toHaveProperty('refreshToken');
    expect(String(inCookie.headers['set-cookie'])).toMatch(
      /^auth_refresh=[^;]+; Path=\/api\/v1\/auth; .*HttpOnly; SameSite=Strict/,
    );

    // An unknown or malformed token: the same answer.
    for (const token of ['x'.repeat(43), 'short'])
      expect((await verify(token, codeFor(secret))).body).toMatchObject({ code: 'mfa_token_invalid' });
  });

  it('should let an admin who just set up TOTP through REQUIRE_MFA_FOR_ADMINS, and let admins clear a user’s factors', async () => {
    const admin = await login(test, ADMIN.ADMIN_EMAIL, ADMIN.ADMIN_PASSWORD);
    expect((await test.http.get('/api/v1/users').set(bearer(admin.accessToken))).body).toMatchObject({
      code: 'mfa_setup_required',
    });
    await turnOn(admin.accessToken, ADMIN.ADMIN_PASSWORD);
    // The same session has now proven a code: admin routes answer at once, with the same access token.
    expect((await test.http.get('/api/v1/users').set(bearer(admin.accessToken))).status).toBe(200);

    const user = await registerUser(test);
    const { recoveryCodes } = await turnOn(user.accessToken);
    const cleared = await test.http.delete(`/api/v1/users/${user.user.id}/mfa`).set(bearer(admin.accessToken));
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(204);
    expect((await test.http.get('/api/v1/auth/me').set(bearer(user.accessToken))).status).toBe(401);
    await waitForMail(test, user.email, /Two-step verification was reset/);
    const back = await login(test, user.email);
    expect(decodeJwt(back.accessToken).amr).toEqual(['pwd']);
    expect(await eventTypes(back.accessToken)).toContain('mfa_cleared_by_admin');
    // Nothing left to clear; the codes died with it.
    const twice = await test.http.delete(`/api/v1/users/${user.user.id}/mfa`).set(bearer(admin.accessToken));
    expect(twice.status).toBe(409);
    expect(twice.body).toMatchObject({ code: 'mfa_not_enabled' });
    const setupAgain = await post('/auth/mfa/totp/setup', { password: PASSWORD }, back.accessToken);
    expect(setupAgain.status).toBe(200);
    expect(await mailsTo(test, user.email)).not.toContainEqual(
      expect.objectContaining({ text: expect.stringContaining(recoveryCodes[0]) }),
    );

    const notAdmin = await test.http.delete(`/api/v1/users/${admin.user.id}/mfa`).set(bearer(back.accessToken));
    expect(notAdmin.status).toBe(403);
    const unknown = await test.http.delete(`/api/v1/users/${crypto.randomUUID()}/mfa`).set(bearer(admin.accessToken));
    expect(unknown.status).toBe(404);
  });

  it('should stop counting a session as proven with a code once the app is turned off', async () => {
    const { email, user } = await registerUser(test);
    await test.app.get(DataSource).query(`UPDATE users SET roles = '{user,admin}' WHERE id = $1`, [user.id]);
    const admin = await login(test, email);
    const { secret } = await turnOn(admin.accessToken);
    expect((await test.http.get('/api/v1/users').set(bearer(admin.accessToken))).status).toBe(200);

    const off = await test.http
      .delete('/api/v1/auth/mfa/totp')
      .set(bearer(admin.accessToken))
      .send({ password: PASSWORD, code: codeFor(secret, 1) });
    expect(off.status, JSON.stringify(off.body)).toBe(204);
    // The same access token, at once: no second factor any more, so admin routes ask for one again.
    expect((await test.http.get('/api/v1/users').set(bearer(admin.accessToken))).body).toMatchObject({
      code: 'mfa_setup_required',
    });
    const refreshed = await post('/auth/refresh', { refreshToken: admin.refreshToken });
    expect(decodeJwt((refreshed.body as TokenBody).accessToken).amr).toEqual(['pwd']);
  });

  it('should refuse to confirm a setup left pending for more than 10 minutes', async () => {
    const user = await registerUser(test);
    const setup = await post('/auth/mfa/totp/setup', { password: PASSWORD }, user.accessToken);
    const { secret } = setup.body as { secret: string };
    await test.app
      .get(DataSource)
      .query(`UPDATE totp_factors SET created_at = now() - interval '11 minutes' WHERE user_id = $1`, [user.user.id]);
    const late = await post('/auth/mfa/totp/confirm', { code: codeFor(secret) }, user.accessToken);
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'mfa_not_enabled', message: expect.stringContaining('expired') });
    expect((await test.http.get('/api/v1/auth/mfa').set(bearer(user.accessToken))).body).toMatchObject({ totp: false });
  });
});

describe('second-step codes and the account lockout (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({
      env: { RATE_LIMIT: 'on', LOCKOUT_THRESHOLD: '5', RATE_LIMIT_LOGIN_IP: '100/1m', RATE_LIMIT_LOGIN_ACCOUNT: '100/1m' },
    });
  });

  afterAll(async () => {
    await test?.close();
  });

  it('should count wrong codes toward the lockout, and not let a right password wipe them', async () => {
    const user = await registerUser(test);
    const setup = await test.http.post('/api/v1/auth/mfa/totp/setup').set(bearer(user.accessToken)).send({ password: PASSWORD });
    const { secret } = setup.body as { secret: string };
    expect(
      (
        await test.http
          .post('/api/v1/auth/mfa/totp/confirm')
          .set(bearer(user.accessToken))
          .send({ code: codeFor(secret) })
      ).status,
    ).toBe(200);

    const logIn = async () =>
      (await test.http.post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD })).body as Challenge;
    const { mfaToken } = await logIn();
    for (const code of ['100000', '100001', '100002'])
      expect((await test.http.post('/api/v1/auth/mfa/verify').send({ mfaToken, code })).status).toBe(401);
    // The fifth attempt on the account (a right password) does not clear the four before it.
    const again = await logIn();
    expect(again.mfaRequired).toBe(true);

    const locked = await test.http.post('/api/v1/auth/mfa/verify').send({ mfaToken: again.mfaToken, code: codeFor(secret, 1) });
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ code: 'account_locked' });
  });

  it('should count wrong codes at confirm toward the lockout too', async () => {
    const user = await registerUser(test);
    const confirm = (code: string) =>
      test.http.post('/api/v1/auth/mfa/totp/confirm').set(bearer(user.accessToken)).send({ code });
    const setup = await test.http.post('/api/v1/auth/mfa/totp/setup').set(bearer(user.accessToken)).send({ password: PASSWORD });
    const { secret } = setup.body as { secret: string };
    const near = [-1, 0, 1].map((steps) => codeFor(secret, steps));
    const wrong = ['100000', '100001', '100002', '100003', '100004', '100005', '100006', '100007'].filter(
      (code) => !near.includes(code),
    );
    // Five wrong codes (LOCKOUT_THRESHOLD) lock the account: the right one is refused then.
    for (const code of wrong.slice(0, 5)) expect((await confirm(code)).status).toBe(403);
    const locked = await confirm(codeFor(secret));
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ code: 'account_locked' });
  });
});
