import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsString, ValidateBy } from 'class-validator';

export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 32;

/** Letters (any script, with their combining marks), digits, `.`, `_` and `-`, once NFKC-normalised. */
const USERNAME = /^[\p{L}\p{M}\p{Nd}._-]+$/u;

/**
 * Names that would pass for the service or its staff in a mail, a page or a log. Compared by key,
 * so `Admin` and `ＡＤＭＩＮ` are refused too.
 */
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set([
  'admin',
  'administrator',
  'root',
  'superuser',
  'sysadmin',
  'system',
  'support',
  'help',
  'helpdesk',
  'security',
  'abuse',
  'postmaster',
  'webmaster',
  'hostmaster',
  'noreply',
  'no-reply',
  'info',
  'staff',
  'moderator',
  'owner',
  'official',
  'api',
  'auth',
  'login',
  'logout',
  'register',
  'signup',
  'account',
  'accounts',
  'me',
  'user',
  'users',
  'null',
  'undefined',
  'anonymous',
]);

/** The spelling kept for display: NFKC (fullwidth `Ｒｏｍｅｌ` is `Romel`), trimmed. */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim();
}

/** What makes two usernames one: the NFKC form lower-cased (then NFKC again, as lower-casing may decompose). */
export function usernameKey(username: string): string {
  return normalizeUsername(username).toLowerCase().normalize('NFKC');
}

/** Why a (normalised) username is refused, or null when it is acceptable. */
export function usernameProblem(username: string): string | null {
  const length = [...username].length;
  if (length < USERNAME_MIN_LENGTH || length > USERNAME_MAX_LENGTH)
    return `username must be ${USERNAME_MIN_LENGTH} to ${USERNAME_MAX_LENGTH} characters long`;
  if (username.includes('@')) return 'username must not be an email address';
  if (!USERNAME.test(username)) return 'username may hold only letters, digits, ".", "_" and "-"';
  if (RESERVED_USERNAMES.has(usernameKey(username))) return 'username is reserved: choose another';
  return null;
}

/** Normalises (NFKC, trimmed) and checks a username to be registered or set, with a message that says what is wrong. */
export function IsUsername(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeUsername(value) : value)),
    IsString(),
    ValidateBy({
      name: 'isUsername',
      validator: {
        validate: (value) => typeof value === 'string' && usernameProblem(value) === null,
        defaultMessage: (args) => (typeof args?.value === 'string' ? usernameProblem(args.value) : null) ?? 'username is invalid',
      },
    }),
  );
}
