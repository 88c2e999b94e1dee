import { createHash } from 'node:crypto';

/**
 * The SHA-256 of a UTF-8 string, in hex: how a high-entropy secret (a refresh token, a mailed link,
 * a challenge, a recovery code) is stored, so a copy of the database cannot be replayed. Not for
 * passwords: they are guessable and get bcrypt.
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
