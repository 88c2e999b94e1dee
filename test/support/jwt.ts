import { createHmac } from 'node:crypto';
import { TEST_JWT_SECRET } from './test-app.js';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>,
  };
}

/** Signs any header and payload with HMAC-SHA256, by default under the test apps' key: the attacker's forge. */
export function forgeJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: string = TEST_JWT_SECRET,
): string {
  const unsigned = `${encode(header)}.${encode(payload)}`;
  return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
}
