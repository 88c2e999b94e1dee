import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectErrorShape, login, registerUser, type TokenBody } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'an admin password';

interface SessionBody {
  id: string;
  userAgent: string | null;
  current: boolean;
}

interface EventBody {
  type: string;
  detail: Record<string, unknown>;
}

describe("an admin and a user's sessions (e2e)", () => {
  let test: TestApp;
  let admin: TokenBody;

  beforeAll(async () => {
    test = await startTestApp({ env: { ADMIN_EMAIL, ADMIN_PASSWORD } });
    admin = await login(test, ADMIN_EMAIL, ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await test?.close();
  });

  const events = async (userId: string): Promise<EventBody[]> => {
    const response = await test.http.get(`/api/v1/users/${userId}/events`).set(bearer(admin.accessToken));
    expect(response.status).toBe(200);
    return (response.body as { items: EventBody[] }).items;
  };

  it("should list a user's live sessions, newest use first, and audit that an admin looked", async () => {
    const user = await registerUser(test);
    await login(test, user.email, user.password, 'laptop');
    await login(test, user.email, user.password, 'phone');

    const response = await test.http.get(`/api/v1/users/${user.user.id}/sessions`).set(bearer(admin.accessToken));

    expect(response.status).toBe(200);
    const sessions = response.body as SessionBody[];
    expect(sessions.map((session) => session.userAgent)).toEqual(['phone', 'laptop', null]);
    expect(sessions.every((session) => !session.current)).toBe(true);
    expect(JSON.stringify(sessions)).not.toMatch(/refresh|hash/i);
    const viewed = (await events(user.user.id)).find((event) => event.type === 'sessions_viewed_by_admin');
    expect(viewed?.detail).toEqual({ by: admin.user.id, sessions: 3 });
  });

  it('should end one session: its refresh token fails at once, its access token next, the others live on', async () => {
    const user = await registerUser(test);
    const phone = await login(test, user.email, user.password, 'phone');
    const laptop = await login(test, user.email, user.password, 'laptop');

    const ended = await test.http
      .delete(`/api/v1/users/${user.user.id}/sessions/${sessionOf(phone)}`)
      .set(bearer(admin.accessToken));

    expect(ended.status).toBe(204);
    expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken: phone.refreshToken })).status).toBe(401);
    const refused = await test.http.get('/api/v1/auth/me').set(bearer(phone.accessToken));
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('session_ended');
    expect((await test.http.get('/api/v1/auth/me').set(bearer(laptop.accessToken))).status).toBe(200);
    const left = await test.http.get(`/api/v1/users/${user.user.id}/sessions`).set(bearer(admin.accessToken));
    expect((left.body as SessionBody[]).map((session) => session.userAgent)).not.toContain('phone');
    const audit = (await events(user.user.id)).find((event) => event.type === 'session_ended');
    expect(audit?.detail).toEqual({ sessionId: sessionOf(phone), by: admin.user.id });
  });

  it("should answer 404 for another user's session, an ended one, an unknown user, and 400 for a malformed id", async () => {
    const owner = await registerUser(test);
    const other = await registerUser(test);
    const session = sessionOf(owner);
    const path = (userId: string, sid: string) => `/api/v1/users/${userId}/sessions/${sid}`;

    const cases = [
      [path(other.user.id, session), 404],
      [path(owner.user.id, randomUUID()), 404],
      [path(owner.user.id, 'not-a-uuid'), 400],
    ] as const;
    for (const [url, status] of cases) {
      const response = await test.http.delete(url).set(bearer(admin.accessToken));
      expect(response.status, url).toBe(status);
      expectErrorShape(response.body, status);
    }
    expect((await test.http.get('/api/v1/auth/me').set(bearer(owner.accessToken))).status).toBe(200);
    expect((await test.http.delete(path(owner.user.id, session)).set(bearer(admin.accessToken))).status).toBe(204);
    expect((await test.http.delete(path(owner.user.id, session)).set(bearer(admin.accessToken))).status).toBe(404);
    const unknown = await test.http.get(`/api/v1/users/${randomUUID()}/sessions`).set(bearer(admin.accessToken));
    expect(unknown.status).toBe(404);
  });

  it('should refuse both routes to a user without the admin role (403) and to anonymous callers (401)', async () => {
    const user = await registerUser(test);
    const target = `/api/v1/users/${admin.user.id}/sessions`;

    expect((await test.http.get(target).set(bearer(user.accessToken))).status).toBe(403);
    expect((await test.http.delete(`${target}/${sessionOf(admin)}`).set(bearer(user.accessToken))).status).toBe(403);
    expect((await test.http.get(target)).status).toBe(401);
    expect((await test.http.get('/api/v1/auth/me').set(bearer(admin.accessToken))).status).toBe(200);
  });
});

/** The session id an access token carries (`sid`). */
function sessionOf(tokens: TokenBody): string {
  const payload = JSON.parse(Buffer.from(tokens.accessToken.split('.')[1], 'base64url').toString()) as { sid: string };
  return payload.sid;
}
