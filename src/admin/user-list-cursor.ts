import { ApiException } from '../common/errors/api.exception.js';
import type { UserListKey } from '../users/user-list.service.js';

const KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z),([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The `nextCursor` of the users list: base64url of the last row's created_at (to the microsecond) and id. */
export function encodeUserListCursor(key: UserListKey): string {
  return Buffer.from(`${key.createdAt},${key.id}`).toString('base64url');
}

/** The key a cursor carries; `cursor_invalid` (400) for anything `encodeUserListCursor` did not make. */
export function decodeUserListCursor(cursor: string): UserListKey {
  const match = BASE64URL.test(cursor) ? KEY.exec(Buffer.from(cursor, 'base64url').toString('utf8')) : null;
  const key = match && { createdAt: match[1], id: match[2] };
  if (!key || !isRealInstant(key.createdAt) || encodeUserListCursor(key) !== cursor)
    throw new ApiException('cursor_invalid', 'cursor is not a nextCursor of this list: start again without it');
  return key;
}

/** Rejects month 13 or February 30, which Postgres would refuse with an error (a 500). */
function isRealInstant(iso: string): boolean {
  const date = new Date(iso);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 23) === iso.slice(0, 23);
}
