const MAX_ENTRIES = 50_000;

export interface VerifiedClaims {
  sub: string;
  sid: string;
  /** Expiry, seconds since the epoch, as signed. */
  exp: number;
  /** The key that signed it: a token of a key revoked since is not taken from here. */
  kid: string;
}

/**
 * Access tokens whose signature and claims passport-jwt has already checked, by their exact text, until
 * they expire: the same bytes would pass the same check again, so a client's next requests skip the
 * cryptography. The session and user are still checked on every request.
 */
export class VerifiedTokens {
  private readonly tokens = new Map<string, VerifiedClaims>();

  constructor(private readonly clockToleranceSeconds: number) {}

  get(token: string): VerifiedClaims | undefined {
    const claims = this.tokens.get(token);
    if (claims && (claims.exp + this.clockToleranceSeconds) * 1000 <= Date.now()) {
      this.tokens.delete(token);
      return undefined;
    }
    return claims;
  }

  remember(token: string, claims: VerifiedClaims): void {
    if (this.tokens.size >= MAX_ENTRIES) this.tokens.delete(this.tokens.keys().next().value!);
    this.tokens.set(token, claims);
  }
}
