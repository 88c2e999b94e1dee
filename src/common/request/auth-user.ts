import type { AuthMethod } from './auth-methods.js';
import type { Role } from './role.enum.js';

/**
 * The account behind a request, as the database has it now (never as the token claims it). The
 * users table's `User` is one; declared here so that every feature can read the caller without
 * depending on `users/`.
 */
export interface RequestUser {
  readonly id: string;
  readonly email: string | null;
  readonly username: string | null;
  readonly name: string | null;
  readonly roles: readonly Role[];
  readonly emailVerifiedAt: Date | null;
  readonly disabledAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What the JWT strategy puts on the request: the user as it is now, and the session the token belongs to. */
export interface AuthUser {
  readonly user: RequestUser;
  readonly sessionId: string;
  /** How the session's login was proven (the session's, read with it: not the token's claim). */
  readonly amr: readonly AuthMethod[];
}
