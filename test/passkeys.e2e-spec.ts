import { decodeJwt } from 'jose';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PurgeService } from '../src/retention/purge.service.js';
import { bearer, expectErrorShape, login, PASSWORD, registerUser, type TokenBody } from './support/factories.js';
import { captureLogs, type CapturedLogs } from './support/logs.js';
import { mailsTo, waitForMail } from './support/mail.js';
import { SoftAuthenticator, type Tweaks } from './support/soft-authenticator.js';
import { startTestApp, TEST_APP_URL, type TestApp } from './support/test-app.js';
import { codeFor } from './support/totp.js';

const PASSKEYS = '/api/v1/auth/passkeys';
const ADMIN = { email: 'root@example.com', password: 'an admin password' };

interface PasskeyBody {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  backedUp: boolean;
}

describe('passkeys (e2e)', () => {
  let test: TestApp;
  let logs: CapturedLogs;

  beforeAll(async () => {
    logs = captureLogs('info');
    test = await startTestApp({ logger: logs.logger, env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
  });

  afterAll(async () => {
    await test?.close();
  });

  const sql = <T>(query: string, parameters: unknown[] = []) => test.app.get(DataSource).query<T>(query, parameters);

  async function addPasskey(user: TokenBody, authenticator: SoftAuthenticator, name?: string, tweaks?: Tweaks) {
    const options = await test.http.post(`${PASSKEYS}/register/options`).set(bearer(user.accessToken));
    expect(options.status, JSON.stringify(options.body)).toBe(200);
    return test.http
      .post(`${PASSKEYS}/register/verify`)
      .set(bearer(user.accessToken))
      .send({ response: authenticator.create(options.body, tweaks), ...(name && { name }) });
  }

  async function newUserWithPasskey(name = 'Laptop') {
    const user = await registerUser(test);
    const authenticator = new SoftAuthenticator(TEST_APP_URL);
    const added = await addPasskey(user, authenticator, name);
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    return { user, authenticator, passkey: added.body as PasskeyBody };
  }

  async function loginOptions(): Promise<{ challenge: string; rpId: string }> {
    const options = await test.http.post(`${PASSKEYS}/login/options`).send({});
    expect(options.status).toBe(200);
    return options.body as { challenge: string; rpId: string };
  }

  async function signIn(authenticator: SoftAuthenticator, tweaks?: Tweaks) {
    return test.http.post(`${PASSKEYS}/login/verify`).send({ response: authenticator.get(await loginOptions(), tweaks) });
  }

  const auditOf = (userId: string) =>
    sql<Array<{ type: string; detail: Record<string, unknown> }>>(
      'SELECT type, detail FROM audit_events WHERE user_id = $1 ORDER BY created_at, id',
      [userId],
    );

  it('should offer creation options for a discoverable passkey bound to the relying party', async () => {
    const user = await registerUser(test);
    const options = await test.http.post(`${PASSKEYS}/register/options`).set(bearer(user.accessToken));

    expect(options.status).toBe(200);
    expect(options.headers['cache-control']).toBe('no-store');
    expect(options.body).toMatchObject({
      rp: { id: 'app.test', name: 'Auth service' },
      user: { id: Buffer.from(user.user.id.replace(/-/g, ''), 'hex').toString('base64url'), name: user.email },
      challenge: expect.stringMatching(/^[\w-]{43}$/),
      attestation: 'none',
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
    });
  });

  it('should add, list and rename a passkey, then sign in with it alone, with amr ["webauthn"]', async () => {
    const { user, authenticator, passkey } = await newUserWithPasskey('Laptop');
    expect(passkey).toEqual({
      id: expect.any(String),
      name: 'Laptop',
      createdAt: expect.any(String),
      lastUsedAt: null,
      backedUp: false,
    });

    const listed = await test.http.get(PASSKEYS).set(bearer(user.accessToken));
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([passkey]);

    const renamed = await test.http
      .patch(`${PASSKEYS}/${passkey.id}`)
      .set(bearer(user.accessToken))
      .send({ name: '  Work laptop ' });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body).toMatchObject({ id: passkey.id, name: 'Work laptop' });

    const signedIn = await signIn(authenticator);
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    const tokens = signedIn.body as TokenBody;
    expect(tokens.user).toMatchObject({ id: user.user.id, email: user.email });
    expect(tokens.refreshToken).toEqual(expect.any(String));
    expect(decodeJwt(tokens.accessToken).amr).toEqual(['webauthn']);
    expect((await test.http.get('/api/v1/auth/me').set(bearer(tokens.accessToken))).status).toBe(200);
    const refreshed = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: tokens.refreshToken });
    expect(decodeJwt((refreshed.body as TokenBody).accessToken).amr).toEqual(['webauthn']);

    const [used] = (await test.http.get(PASSKEYS).set(bearer(user.accessToken))).body as PasskeyBody[];
    expect(used.lastUsedAt).toEqual(expect.any(String));

    const audit = await auditOf(user.user.id);
    expect(audit.map((event) => event.type)).toEqual(['register', 'passkey_added', 'passkey_renamed', 'login_success']);
    expect(audit[1].detail).toMatchObject({ passkeyId: passkey.id, name: 'Laptop' });
    expect(audit[2].detail).toMatchObject({ passkeyId: passkey.id, name: 'Work laptop' });
    expect(audit[3].detail).toEqual({ method: 'passkey', passkeyId: passkey.id });

    const added = await waitForMail(test, user.email, /passkey was added/);
    expect(added.text).toContain('A passkey named "Laptop" was added to your account');
    const renamedMail = await waitForMail(test, user.email, /passkey .* was renamed/);
    expect(renamedMail.text).toContain('The passkey "Laptop" of your account was renamed "Work laptop"');
  });

  it('should refuse a replayed sign-in and a challenge spent or expired', async () => {
    const { authenticator } = await newUserWithPasskey();
    const options = await loginOptions();
    const response = authenticator.get(options);

    expect((await test.http.post(`${PASSKEYS}/login/verify`).send({ response })).status).toBe(200);
    const replayed = await test.http.post(`${PASSKEYS}/login/verify`).send({ response });
    expect(replayed.status).toBe(400);
    expect(replayed.body).toMatchObject({ code: 'webauthn_challenge_invalid' });
    expectErrorShape(replayed.body, 400);
    // A fresh signature over the spent challenge does no better.
    const resigned = await test.http.post(`${PASSKEYS}/login/verify`).send({ response: authenticator.get(options) });
    expect(resigned.body).toMatchObject({ code: 'webauthn_challenge_invalid' });

    const late = await loginOptions();
    await sql(`UPDATE webauthn_challenges SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`);
    const expired = await test.http.post(`${PASSKEYS}/login/verify`).send({ response: authenticator.get(late) });
    expect(expired.body).toMatchObject({ code: 'webauthn_challenge_invalid' });
    // A challenge made up by the client was never issued.
    const invented = await signIn(authenticator, { challenge: Buffer.alloc(32, 7).toString('base64url') });
    expect(invented.body).toMatchObject({ code: 'webauthn_challenge_invalid' });
  });

  it('should refuse a sign-in made for another origin or another relying party', async () => {
    const { user, authenticator } = await newUserWithPasskey();

    const otherOrigin = await signIn(authenticator, { origin: 'https://evil.test' });
    expect(otherOrigin.status).toBe(401);
    expect(otherOrigin.body).toMatchObject({ code: 'passkey_invalid' });
    expectErrorShape(otherOrigin.body, 401);
    const otherRp = await signIn(authenticator, { rpId: 'evil.test' });
    expect(otherRp.status).toBe(401);
    expect(otherRp.body).toMatchObject({ code: 'passkey_invalid' });
    const unverified = await signIn(authenticator, { userVerified: false });
    expect(unverified.body).toMatchObject({ code: 'passkey_invalid' });

    const failures = (await auditOf(user.user.id)).filter((event) => event.type === 'login_failure');
    expect(failures.map((event) => event.detail.reason)).toEqual(['wrong_origin', 'wrong_rp_id', 'user_not_verified']);
  });

  it('should refuse a signature counter that goes back, and log a possible clone', async () => {
    const { user, authenticator, passkey } = await newUserWithPasskey();
    expect((await signIn(authenticator, { counter: 10 })).status).toBe(200);

    for (const counter of [10, 9, 0]) {
      const cloned = await signIn(authenticator, { counter });
      expect(cloned.status, `counter ${counter}`).toBe(401);
      expect(cloned.body).toMatchObject({ code: 'passkey_invalid' });
    }
    expect((await signIn(authenticator, { counter: 11 })).status).toBe(200);

    const failures = (await auditOf(user.user.id)).filter((event) => event.type === 'login_failure');
    expect(failures).toHaveLength(3);
    expect(failures[0].detail).toEqual({
      method: 'passkey',
      reason: 'passkey_clone_suspected',
      passkeyId: passkey.id,
      storedCounter: 10,
      counter: 10,
    });
    const warned = logs
      .lines()
      .filter(
        (line) => line.level === 'warn' && (line.detail as { reason?: string } | undefined)?.reason === 'passkey_clone_suspected',
      );
    expect(warned.length).toBeGreaterThanOrEqual(3);
    expect(warned[0]).toMatchObject({ event: 'login_failure', userId: user.user.id });
  });

  it('should keep signing in with an authenticator that keeps no counter (always 0)', async () => {
    const { authenticator } = await newUserWithPasskey();
    expect((await signIn(authenticator, { counter: 0 })).status).toBe(200);
    expect((await signIn(authenticator, { counter: 0 })).status).toBe(200);
  });

  it("should refuse a passkey presented with another user's handle, and an unknown passkey", async () => {
    const { authenticator } = await newUserWithPasskey();
    const other = await registerUser(test);

    const swapped = await signIn(authenticator, {
      userHandle: Buffer.from(other.user.id.replace(/-/g, ''), 'hex').toString('base64url'),
    });
    expect(swapped.status).toBe(401);
    expect(swapped.body).toMatchObject({ code: 'passkey_invalid' });
    const assertion = authenticator.get(await loginOptions());
    const withoutHandle = { ...assertion.response, userHandle: undefined };
    const missing = await test.http
      .post(`${PASSKEYS}/login/verify`)
      .send({ response: { ...assertion, response: withoutHandle } });
    expect(missing.status).toBe(401);

    const stranger = new SoftAuthenticator(TEST_APP_URL);
    stranger.create({ challenge: 'x', rp: {}, user: { id: 'AAAA' } });
    const unknown = await signIn(stranger);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ code: 'passkey_invalid' });
  });

  it('should refuse a disabled account like the password login does', async () => {
    const { user, authenticator } = await newUserWithPasskey();
    await sql('UPDATE users SET disabled_at = now() WHERE id = $1', [user.user.id]);

    const refused = await signIn(authenticator);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'account_disabled' });
  });

  it("should answer 404 for another user's passkey in PATCH and DELETE, and leave it alone", async () => {
    const { passkey } = await newUserWithPasskey('Theirs');
    const intruder = await registerUser(test);

    const renamed = await test.http.patch(`${PASSKEYS}/${passkey.id}`).set(bearer(intruder.accessToken)).send({ name: 'Mine' });
    expect(renamed.status).toBe(404);
    expect(renamed.body).toMatchObject({ code: 'not_found' });
    const removed = await test.http
      .delete(`${PASSKEYS}/${passkey.id}`)
      .set(bearer(intruder.accessToken))
      .send({ password: PASSWORD });
    expect(removed.status).toBe(404);
    const [row] = await sql<Array<{ name: string }>>('SELECT name FROM passkeys WHERE id = $1', [passkey.id]);
    expect(row.name).toBe('Theirs');
  });

  it('should remove a passkey only with the password or a second-factor code, then refuse it at sign-in', async () => {
    const { user, authenticator, passkey } = await newUserWithPasskey('Phone');
    const remove = (body: object) => test.http.delete(`${PASSKEYS}/${passkey.id}`).set(bearer(user.accessToken)).send(body);

    const none = await remove({});
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ code: 'validation_failed' });
    const both = await remove({ password: PASSWORD, code: '123456' });
    expect(both.body).toMatchObject({ code: 'validation_failed' });
    const wrong = await remove({ password: 'not the password' });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ code: 'password_incorrect' });
    // A code needs an authenticator app on the account.
    const code = await remove({ code: '123456' });
    expect(code.status).toBe(409);
    expect(code.body).toMatchObject({ code: 'mfa_not_enabled' });

    expect((await remove({ password: PASSWORD })).status).toBe(204);
    expect((await test.http.get(PASSKEYS).set(bearer(user.accessToken))).body).toEqual([]);
    expect((await remove({ password: PASSWORD })).status).toBe(404);
    expect((await signIn(authenticator)).body).toMatchObject({ code: 'passkey_invalid' });

    const removed = (await auditOf(user.user.id)).find((event) => event.type === 'passkey_removed');
    expect(removed?.detail).toEqual({ passkeyId: passkey.id, name: 'Phone', confirmedWith: 'password' });
    const mail = await waitForMail(test, user.email, /passkey was removed/);
    expect(mail.text).toContain('The passkey "Phone" was removed from your account');
    expect((await mailsTo(test, user.email)).map((sent) => sent.subject)).toEqual(
      expect.arrayContaining(['A passkey was added to your account', 'A passkey was removed from your account']),
    );
  });

  it('should take a code of the authenticator app, once, in place of the password', async () => {
    const { user, passkey } = await newUserWithPasskey('Key');
    const post = (path: string, body: object) => test.http.post(`/api/v1${path}`).set(bearer(user.accessToken)).send(body);
    const { secret } = (await post('/auth/mfa/totp/setup', { password: PASSWORD })).body as { secret: string };
    expect((await post('/auth/mfa/totp/confirm', { code: codeFor(secret) })).status).toBe(200);
    const remove = (body: object) => test.http.delete(`${PASSKEYS}/${passkey.id}`).set(bearer(user.accessToken)).send(body);

    // The confirming code's step is taken: the same code again is refused, the next step's passes.
    const replayed = await remove({ code: codeFor(secret) });
    expect(replayed.status).toBe(403);
    expect(replayed.body).toMatchObject({ code: 'mfa_code_incorrect' });
    expect((await remove({ code: codeFor(secret, 1) })).status).toBe(204);
    const removed = (await auditOf(user.user.id)).find((event) => event.type === 'passkey_removed');
    expect(removed?.detail).toMatchObject({ passkeyId: passkey.id, confirmedWith: 'code' });
  });

  it("should remove every passkey of a user when an admin clears the user's second factors", async () => {
    const { user, authenticator } = await newUserWithPasskey('Laptop');
    const admin = await login(test, ADMIN.email, ADMIN.password);
    const cleared = await test.http.delete(`/api/v1/users/${user.user.id}/mfa`).set(bearer(admin.accessToken));
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(204);
    expect((await signIn(authenticator)).body).toMatchObject({ code: 'passkey_invalid' });
    const [event] = await sql<Array<{ detail: Record<string, unknown> }>>(
      "SELECT detail FROM audit_events WHERE user_id = $1 AND type = 'mfa_cleared_by_admin'",
      [user.user.id],
    );
    expect(event.detail).toMatchObject({ passkeys: 1, totp: false });
    // Nothing left: a second clear says so.
    const twice = await test.http.delete(`/api/v1/users/${user.user.id}/mfa`).set(bearer(admin.accessToken));
    expect(twice.body).toMatchObject({ code: 'mfa_not_enabled' });
  });

  it('should set the refresh cookie when signing in with a passkey in cookie mode', async () => {
    const { authenticator } = await newUserWithPasskey();
    const response = await test.http
      .post(`${PASSKEYS}/login/verify`)
      .set('X-Token-Transport', 'cookie')
      .send({ response: authenticator.get(await loginOptions()) });

    expect(response.status).toBe(200);
    expect(response.body.refreshToken).toBeUndefined();
    const cookie = [response.headers['set-cookie'] ?? []].flat().find((value) => value.startsWith('auth_refresh='));
    expect(cookie).toContain('; HttpOnly');
  });

  it('should refuse to register a passkey made for another origin, twice, or with a spent challenge', async () => {
    const user = await registerUser(test);
    const authenticator = new SoftAuthenticator(TEST_APP_URL);

    const otherOrigin = await addPasskey(user, authenticator, undefined, { origin: 'https://evil.test' });
    expect(otherOrigin.status).toBe(400);
    expect(otherOrigin.body).toMatchObject({ code: 'passkey_rejected' });
    const otherRp = await addPasskey(user, authenticator, undefined, { rpId: 'evil.test' });
    expect(otherRp.body).toMatchObject({ code: 'passkey_rejected' });

    const options = (await test.http.post(`${PASSKEYS}/register/options`).set(bearer(user.accessToken))).body as {
      challenge: string;
      rp: { id: string };
      user: { id: string };
    };
    const response = authenticator.create(options);
    const verify = (body: object, token = user.accessToken) =>
      test.http.post(`${PASSKEYS}/register/verify`).set(bearer(token)).send(body);
    // Another account cannot spend this account's challenge.
    const other = await registerUser(test);
    expect((await verify({ response }, other.accessToken)).body).toMatchObject({ code: 'webauthn_challenge_invalid' });
    expect((await verify({ response })).status).toBe(201);
    expect((await verify({ response })).body).toMatchObject({ code: 'webauthn_challenge_invalid' });

    // The same credential again, with a fresh challenge.
    const again = (await test.http.post(`${PASSKEYS}/register/options`).set(bearer(user.accessToken))).body as {
      challenge: string;
      excludeCredentials: Array<{ id: string }>;
    };
    expect(again.excludeCredentials.map((credential) => credential.id)).toEqual([response.id]);
    const clientData = JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString()) as object;
    const duplicate = {
      ...response,
      response: {
        ...response.response,
        clientDataJSON: Buffer.from(JSON.stringify({ ...clientData, challenge: again.challenge })).toString('base64url'),
      },
    };
    const refused = await verify({ response: duplicate });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'passkey_exists' });
  });

  it('should refuse a credential ID longer than WebAuthn allows, with 400, not 500', async () => {
    const user = await registerUser(test);
    const tooLong = await addPasskey(user, new SoftAuthenticator(TEST_APP_URL), 'Long', { credentialIdLength: 1024 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toMatchObject({ code: 'passkey_rejected' });
    const longest = await addPasskey(user, new SoftAuthenticator(TEST_APP_URL), 'Longest', { credentialIdLength: 1023 });
    expect(longest.status, JSON.stringify(longest.body)).toBe(201);
  });

  it('should answer malformed responses with 400, never 500', async () => {
    const user = await registerUser(test);
    const bodies: unknown[] = [
      {},
      { response: 'nope' },
      { response: { id: 'abc', rawId: 'abc', type: 'public-key', response: {} } },
      { response: { id: 'a b', rawId: 'abc', type: 'public-key', response: { clientDataJSON: 'x', attestationObject: 'y' } } },
      {
        response: {
          id: 'abc',
          rawId: 'abc',
          type: 'public-key',
          extra: 1,
          response: { clientDataJSON: 'x', attestationObject: 'y' },
        },
      },
    ];
    for (const body of bodies) {
      const answer = await test.http
        .post(`${PASSKEYS}/register/verify`)
        .set(bearer(user.accessToken))
        .send(body as object);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expectErrorShape(answer.body, 400);
    }
    const options = (await test.http.post(`${PASSKEYS}/register/options`).set(bearer(user.accessToken))).body as {
      challenge: string;
    };
    const clientDataJSON = Buffer.from(
      JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin: TEST_APP_URL }),
    ).toString('base64url');
    const garbage = await test.http
      .post(`${PASSKEYS}/register/verify`)
      .set(bearer(user.accessToken))
      .send({
        response: { id: 'abc', rawId: 'abc', type: 'public-key', response: { clientDataJSON, attestationObject: 'AAAA' } },
      });
    expect(garbage.status).toBe(400);
    expect(garbage.body).toMatchObject({ code: 'passkey_rejected' });

    for (const clientData of ['e30', 'bm90IGpzb24']) {
      const login = await test.http.post(`${PASSKEYS}/login/verify`).send({
        response: {
          id: 'abc',
          rawId: 'abc',
          type: 'public-key',
          response: { clientDataJSON: clientData, authenticatorData: 'AAAA', signature: 'AAAA' },
        },
      });
      expect(login.status).toBe(400);
      expect(login.body).toMatchObject({ code: 'webauthn_challenge_invalid' });
    }
    const unsigned = await test.http.post(`${PASSKEYS}/login/verify`).send({ response: { id: 'abc' } });
    expect(unsigned.status).toBe(400);
    expect(unsigned.body).toMatchObject({ code: 'validation_failed' });
  });

  it('should purge challenges once spent or expired, and keep the usable ones', async () => {
    const { authenticator } = await newUserWithPasskey();
    expect((await signIn(authenticator)).status).toBe(200);
    const usable = await loginOptions();
    const due = async () =>
      (
        await sql<Array<{ n: number }>>(
          'SELECT count(*)::int AS n FROM webauthn_challenges WHERE used_at IS NOT NULL OR expires_at <= now()',
        )
      )[0].n;
    expect(await due()).toBeGreaterThan(0);

    const result = await test.app.get(PurgeService).purgeNow();

    expect(result.status).toBe('done');
    expect(result.deleted.oneTimeTokens).toBeGreaterThan(0);
    expect(await due()).toBe(0);
    expect((await signIn(authenticator, { challenge: usable.challenge })).status).toBe(200);
  });

  it('should ask for a token on every route but the sign-in ones', async () => {
    for (const [method, path] of [
      ['post', '/register/options'],
      ['post', '/register/verify'],
      ['get', ''],
      ['patch', '/00000000-0000-4000-8000-000000000000'],
      ['delete', '/00000000-0000-4000-8000-000000000000'],
    ] as const) {
      expect((await test.http[method](`${PASSKEYS}${path}`).send({})).status, `${method} ${path}`).toBe(401);
    }
  });
});
