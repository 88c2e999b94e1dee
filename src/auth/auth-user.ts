import type { User } from '../users/entities/user.entity.js';

/** What the JWT guard puts on the request: the user as it is now, and the session the token belongs to. */
export interface AuthUser {
  user: User;
  sessionId: string;
}

/** Who is calling, as recorded on a session. */
export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
}
