import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectErrorShape, PASSWORD, registerUser, uniqueEmail, type TokenBody } from './support/factories.js';
import { followToCallback, startOidcProvider, type TestOidcProvider } from './support/oidc-provider.js';
import { startTestApp, TEST_APP_URL, type TestApp } from './support/test-app.js';
import { codeFor as totpCode } from './support/totp.js';

const CALLBACK = `${TEST_APP_URL}/api/v1/auth/oauth/test/callback`;
const ALLOWED_CLIENT = 'https://spa.example.com/auth/done';

describe('sign-in with an OpenID Connect provider (e2e)', () => {
  let provider: TestOidcProvider;
  let test: TestApp;

  beforeAll(async () => {
    provider = await startOidcProvider({ redirectUris: [CALLBACK] });
    test = await startTestApp({ env: { ...provider.env(), OAUTH_REDIRECT_ALLOWLIST: 'https://spa.example.com/auth' } });
  });

  afterAll(async () => {
    await test?.close();
    await provider?.close();
  });

  let people = 0;
  const person = (fields: { email?: string; email_verified?: boolean } = {}) => {
    const sub = `person-${++people}-${randomBytes(4).toString('hex')}`;
    const next = { sub, email: uniqueEmail('oidc'), email_verified: true, name: `Person ${people}`, ...fields };
    provider.signInAs(next);
    return next;
  };

  /** The browser binding cookie a start set, as the browser would send it back. */
  const bindingOf = (response: { headers: Record<string, unknown> }): string => {
    const header = response.headers['set-cookie'] as string[] | undefined;
    const cookie = header?.find((line) => line.startsWith('auth_oauth='))?.split(';')[0];
    expect(cookie, 'the binding cookie').toBeDefined();
    return cookie!;
  };

  /** The app's callback, in the browser that holds `binding`. */
  const callbackAt = (back: URL, binding: string) => test.http.get(`${back.pathname}${back.search}`).set('Cookie', binding);

  /** Starts at the app, goes through the provider, and answers the app's callback response. */
  const signIn = async (query: Record<string, string> = {}, tamper?: (url: URL) => void) => {
    const start = await test.http.get('/api/v1/auth/oauth/test/start').query(query);
    expect(start.status, JSON.stringify(start.body)).toBe(302);
    const binding = bindingOf(start);
    const authorization = new URL(start.headers.location);
    tamper?.(authorization);
    const back = await followToCallback(authorization.href, CALLBACK);
    const callback = await callbackAt(back, binding);
    return { start, back, callback, binding };
  };

  const refreshWithCookie = (cookie: string) =>
    test.http.post('/api/v1/auth/refresh').set('X-Token-Transport', 'cookie').set('Cookie', cookie).send({});

  const cookieOf = (response: { headers: Record<string, unknown> }): string | undefined => {
    const header = response.headers['set-cookie'] as string[] | undefined;
    return header?.find((line) => line.startsWith('auth_refresh='))?.split(';')[0];
  };

  it('should list the configured provider for the sign-in buttons', async () => {
    const response = await test.http.get('/api/v1/auth/oauth/providers');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ providers: [{ name: 'test', label: 'Test' }] });
  });

  it('should send the browser to the provider with PKCE S256, state and nonce, and no secret', async () => {
    const response = await test.http.get('/api/v1/auth/oauth/test/start');
    const url = new URL(response.headers.location);

    expect(url.origin).toBe(provider.issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
    expect(url.searchParams.get('redirect_uri')).toBe(CALLBACK);
    expect(url.href).not.toContain(provider.clientSecret);
  });

  it('should make an account at the first sign-in and sign into the same one the second time, by cookie', async () => {
    const someone = person();

    const first = await signIn();
    expect(first.callback.status).toBe(302);
    expect(first.callback.headers.location).toBe(`${TEST_APP_URL}/`);
    const cookie = cookieOf(first.callback);
    expect(cookie).toBeDefined();
    const session = await refreshWithCookie(cookie!);
    expect(session.status).toBe(200);
    expect(session.body.user).toMatchObject({ email: someone.email, emailVerified: true, name: someone.name, username: null });
    const claims = JSON.parse(Buffer.from((session.body.accessToken as string).split('.')[1], 'base64url').toString());
    expect(claims.amr).toEqual(['fed']);

    provider.signInAs(someone);
    const second = await signIn();
    const again = await refreshWithCookie(cookieOf(second.callback)!);
    expect(again.body.user.id).toBe(session.body.user.id);
    const identities = await test.http.get('/api/v1/auth/identities').set(bearer(again.body.accessToken as string));
    expect(identities.body.identities).toEqual([
      { id: expect.any(String), provider: 'test', email: someone.email, emailVerified: true, linkedAt: expect.any(String) },
    ]);
  });

  it('should refuse a forged state and a replayed callback with 400, and never sign in twice with one code', async () => {
    person();
    const { back, callback, binding } = await signIn();
    expect(callback.status).toBe(302);

    const replayed = await callbackAt(back, binding);
    expect(replayed.status).toBe(400);
    expect(replayed.body.code).toBe('oauth_state_invalid');
    expectErrorShape(replayed.body, 400);

    const forged = new URL(back);
    forged.searchParams.set('state', randomBytes(32).toString('base64url'));
    const refused = await callbackAt(forged, binding);
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('oauth_state_invalid');
    expect(refused.headers['set-cookie']).toBeUndefined();
  });

  it('should refuse an ID token whose nonce is not the one sent, with an error redirect and no cookie', async () => {
    person();
    const { callback } = await signIn({}, (url) => url.searchParams.set('nonce', randomBytes(16).toString('base64url')));

    expect(callback.status).toBe(302);
    expect(new URL(callback.headers.location).searchParams.get('error')).toBe('oauth_failed');
    expect(cookieOf(callback)).toBeUndefined();
  });

  it('should refuse a redirect_to off the allow-list before going to the provider', async () => {
    for (const target of [
      'https://evil.example.com/',
      '//evil.example.com/x',
      'https://spa.example.com/authx',
      'javascript:alert(1)',
    ]) {
      const response = await test.http.get('/api/v1/auth/oauth/test/start').query({ redirect_to: target });
      expect(response.status, target).toBe(400);
      expect(response.body.code).toBe('oauth_redirect_refused');
      expect(response.headers.location).toBeUndefined();
    }
    const unknown = await test.http.get('/api/v1/auth/oauth/nosuch/start');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('oauth_provider_unknown');
  });

  it('should give a non-browser client a one-time code in the redirect, exchanged once with its PKCE verifier', async () => {
    const someone = person();
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');

    const { callback } = await signIn({ redirect_to: ALLOWED_CLIENT, code_challenge: challenge, code_challenge_method: 'S256' });

    expect(callback.status).toBe(302);
    const location = new URL(callback.headers.location);
    expect(`${location.origin}${location.pathname}`).toBe(ALLOWED_CLIENT);
    expect(cookieOf(callback)).toBeUndefined();
    expect(location.href).not.toMatch(/eyJ|access|refresh/i);
    const code = location.searchParams.get('code')!;

    const wrong = await test.http
      .post('/api/v1/auth/oauth/exchange')
      .send({ code, codeVerifier: randomBytes(32).toString('base64url') });
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe('oauth_code_invalid');
    // A wrong verifier spends the code: it cannot be guessed at.
    expect((await test.http.post('/api/v1/auth/oauth/exchange').send({ code, codeVerifier: verifier })).status).toBe(400);

    provider.signInAs(someone);
    const next = await signIn({ redirect_to: ALLOWED_CLIENT, code_challenge: challenge });
    const nextCode = new URL(next.callback.headers.location).searchParams.get('code')!;
    const exchanged = await test.http.post('/api/v1/auth/oauth/exchange').send({ code: nextCode, codeVerifier: verifier });
    expect(exchanged.status).toBe(200);
    expect(exchanged.body).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String) });
    expect((exchanged.body as TokenBody).user.email).toBe(someone.email);
    const replayed = await test.http.post('/api/v1/auth/oauth/exchange').send({ code: nextCode, codeVerifier: verifier });
    expect(replayed.status).toBe(400);
    expect(replayed.body.code).toBe('oauth_code_invalid');
  });

  it("should never link to an existing account by email: its owner's address is refused for a new account", async () => {
    const owner = await registerUser(test);
    person({ email: owner.email, email_verified: true });

    const { callback } = await signIn();

    expect(new URL(callback.headers.location).searchParams.get('error')).toBe('oauth_email_in_use');
    expect(cookieOf(callback)).toBeUndefined();
    const identities = await test.http.get('/api/v1/auth/identities').set(bearer(owner.accessToken));
    expect(identities.body.identities).toEqual([]);
  });

  it('should make an account without an address when the provider does not vouch for it', async () => {
    const someone = person({ email_verified: false });
    const { callback } = await signIn();
    const session = await refreshWithCookie(cookieOf(callback)!);
    expect(session.body.user).toMatchObject({ email: null, emailVerified: false, name: someone.name });
  });

  it('should link a provider account from a signed-in session, refuse it to another user, and unlink by the rules', async () => {
    const owner = await registerUser(test);
    const someone = person();

    const started = await test.http
      .post('/api/v1/auth/identities/test/link')
      .set(bearer(owner.accessToken))
      .send({ redirectTo: '/' });
    expect(started.status).toBe(200);
    const back = await followToCallback(started.body.url as string, CALLBACK);
    const linked = await callbackAt(back, bindingOf(started));
    expect(new URL(linked.headers.location).searchParams.get('linked')).toBe('test');

    // The provider account now signs in to the owner's account.
    provider.signInAs(someone);
    const viaProvider = await signIn();
    const session = await refreshWithCookie(cookieOf(viaProvider.callback)!);
    expect(session.body.user.id).toBe(owner.user.id);

    // Another user cannot take it.
    const other = await registerUser(test);
    provider.signInAs(someone);
    const taking = await test.http.post('/api/v1/auth/identities/test/link').set(bearer(other.accessToken)).send({});
    const takeBack = await followToCallback(taking.body.url as string, CALLBACK);
    const taken = await callbackAt(takeBack, bindingOf(taking));
    expect(new URL(taken.headers.location).searchParams.get('error')).toBe('identity_taken');

    // The owner has a password: unlinking is allowed.
    const list = await test.http.get('/api/v1/auth/identities').set(bearer(owner.accessToken));
    const [identity] = list.body.identities as Array<{ id: string }>;
    const unlinked = await test.http.delete(`/api/v1/auth/identities/${identity.id}`).set(bearer(owner.accessToken));
    expect(unlinked.status).toBe(204);
    expect((await test.http.delete(`/api/v1/auth/identities/${identity.id}`).set(bearer(owner.accessToken))).status).toBe(404);
  });

  it('should refuse to unlink the only way into an account made by a provider', async () => {
    person();
    const { callback } = await signIn();
    const session = await refreshWithCookie(cookieOf(callback)!);
    const token = session.body.accessToken as string;
    const [identity] = (await test.http.get('/api/v1/auth/identities').set(bearer(token))).body.identities as Array<{
      id: string;
    }>;

    const refused = await test.http.delete(`/api/v1/auth/identities/${identity.id}`).set(bearer(token));

    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('last_sign_in_method');
    expect((await test.http.get('/api/v1/auth/identities').set(bearer(token))).body.identities).toHaveLength(1);
    const password = await test.http.post('/api/v1/auth/login').send({ email: session.body.user.email, password: PASSWORD });
    expect(password.status).toBe(401);
  });

  it('should still ask for the second factor after a provider sign-in, and say so in amr', async () => {
    person();
    const first = await signIn();
    const cookie = cookieOf(first.callback)!;
    const token = (await refreshWithCookie(cookie)).body.accessToken as string;
    // An account made by a provider sets a first password (fresh sign-in), then sets up TOTP with it.
    const password = 'a first password 4 me';
    expect((await test.http.post('/api/v1/auth/password/set').set(bearer(token)).send({ newPassword: password })).status).toBe(
      204,
    );
    const twice = await test.http.post('/api/v1/auth/password/set').set(bearer(token)).send({ newPassword: password });
    expect(twice.body.code).toBe('password_already_set');
    const setup = await test.http.post('/api/v1/auth/mfa/totp/setup').set(bearer(token)).send({ password });
    expect(setup.status, JSON.stringify(setup.body)).toBe(200);
    const secret = setup.body.secret as string;
    expect(
      (
        await test.http
          .post('/api/v1/auth/mfa/totp/confirm')
          .set(bearer(token))
          .send({ code: totpCode(secret) })
      ).status,
    ).toBe(200);

    const again = await signIn();
    const location = new URL(again.callback.headers.location);
    expect(cookieOf(again.callback)).toBeUndefined();
    const mfaToken = location.searchParams.get('mfa_token')!;
    expect(mfaToken).toMatch(/^[\w-]{43}$/);
    const verified = await test.http
      .post('/api/v1/auth/mfa/verify')
      .set('X-Token-Transport', 'cookie')
      .send({ mfaToken, code: totpCode(secret, 1) });
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    const claims = JSON.parse(Buffer.from((verified.body.accessToken as string).split('.')[1], 'base64url').toString());
    expect(claims.amr).toEqual(['fed', 'otp']);
  });

  it('should give a first password only to a fresh sign-in of an account without one', async () => {
    person();
    const { callback } = await signIn();
    const session = await refreshWithCookie(cookieOf(callback)!);
    const token = session.body.accessToken as string;
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sid: string };
    await test.app
      .get(DataSource)
      .query(`UPDATE sessions SET created_at = now() - interval '11 minutes' WHERE id = $1`, [claims.sid]);

    const stale = await test.http
      .post('/api/v1/auth/password/set')
      .set(bearer(token))
      .send({ newPassword: 'a first password 4 me' });

    expect(stale.status).toBe(403);
    expect(stale.body.code).toBe('reauthentication_required');
    const withPassword = await registerUser(test);
    const refused = await test.http
      .post('/api/v1/auth/password/set')
      .set(bearer(withPassword.accessToken))
      .send({ newPassword: 'another password 4 me' });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('password_already_set');
  });

  it('should finish a sign-in only in the browser that started it (no login CSRF, no linking by a stranger)', async () => {
    const someone = person();
    const start = await test.http.get('/api/v1/auth/oauth/test/start');
    const back = await followToCallback(start.headers.location, CALLBACK);

    // The attacker's callback URL opened in a victim's browser: no binding, or another browser's.
    const elsewhere = await test.http.get('/api/v1/auth/oauth/test/start');
    for (const cookie of [undefined, bindingOf(elsewhere)]) {
      const request = test.http.get(`${back.pathname}${back.search}`);
      const refused = cookie ? await request.set('Cookie', cookie) : await request;
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('oauth_state_invalid');
      expect(cookieOf(refused)).toBeUndefined();
    }

    // Refusals spend nothing: the browser that started it still finishes it.
    const finished = await callbackAt(back, bindingOf(start));
    expect(finished.status).toBe(302);
    const session = await refreshWithCookie(cookieOf(finished)!);
    expect(session.body.user.email).toBe(someone.email);
  });
});
