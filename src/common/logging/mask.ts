/** `ada@example.com` → `a***@example.com`: enough to follow a log, not to collect addresses. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at > 0 ? `${email[0]}***${email.slice(at)}` : '***';
}

/** An email masked as above; a username `Romel` → `R***`: a log line names no one by either. */
export function maskIdentifier(identifier: string): string {
  return identifier.includes('@') ? maskEmail(identifier) : `${[...identifier][0] ?? ''}***`;
}

export const REDACTED = '[redacted]';

/** Fields whose value never reaches a log, at the top of a line or one object down. */
const SECRET_FIELDS = [
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'authorization',
  'cookie',
  'secret',
];

/** Paths for pino's `redact`: the secret fields, and `email` (masked, not removed). */
export const REDACT_PATHS = [...SECRET_FIELDS, 'email'].flatMap((field) => [field, `*.${field}`]);

/** pino's `redact.censor`: an email is masked, anything else removed. */
export function censor(value: unknown, path: string[]): unknown {
  return path.at(-1) === 'email' && typeof value === 'string' ? maskEmail(value) : REDACTED;
}

const JWT = /\beyJ[\w-]{5,}\.[\w-]+\.[\w-]*/g;
const BCRYPT = /\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}/g;
const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;

/**
 * What free text in a log line must not carry, wherever a message put it: a JWT or a bcrypt hash is
 * removed, an email address masked. The last net under the fields above, for messages and stacks.
 */
export function scrub(text: string): string {
  return text.replace(JWT, REDACTED).replace(BCRYPT, REDACTED).replace(EMAIL, maskEmail);
}
