import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { TestApp } from './test-app.js';

export const PASSWORD = 'correct horse battery staple';

export interface TokenBody {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
  user: {
    id: string;
    email: string;
    username: string | null;
    name: string | null;
    roles: string[];
    emailVerified: boolean;
    disabled: boolean;
    createdAt: string;
    updatedAt: string;
  };
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}@example.com`;
}

export async function registerUser(
  test: TestApp,
  fields: { email?: string; password?: string; name?: string } = {},
): Promise<TokenBody & { email: string; password: string }> {
  const email = fields.email ?? uniqueEmail();
  const password = fields.password ?? PASSWORD;
  const response = await test.http
    .post('/api/v1/auth/register')
    .send({ email, password, ...(fields.name && { name: fields.name }) });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return { ...(response.body as TokenBody), email, password };
}

export async function login(test: TestApp, email: string, password = PASSWORD, userAgent = 'vitest'): Promise<TokenBody> {
  const response = await test.http.post('/api/v1/auth/login').set('User-Agent', userAgent).send({ email, password });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body as TokenBody;
}

export function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}

/** Every error answer has one shape, and no stack trace or SQL in it. */
export function expectErrorShape(body: unknown, statusCode: number): void {
  expect(body).toMatchObject({ statusCode, error: expect.any(String), message: expect.anything() });
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/\bat .+\.(js|ts):\d+|QueryFailedError|SELECT |INSERT |node_modules/);
}
