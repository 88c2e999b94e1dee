/**
 * How a session's holder proved who they are, as the access token's `amr` claim says it (RFC 8176):
 * `pwd` a password, `otp` a one-time code (an authenticator app's, or a recovery code), `webauthn` a
 * passkey, `fed` a sign-in at another provider (OpenID Connect or OAuth 2; RFC 8176 has no value for
 * it, so this one is ours). A session keeps the methods of its login; every token it issues carries them.
 */
export const AUTH_METHODS = ['pwd', 'otp', 'webauthn', 'fed'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** Methods that are a second factor, or (a user-verified passkey) two factors in one. */
const STRONG: readonly AuthMethod[] = ['otp', 'webauthn'];

/** Whether a login with these methods went past a password alone. */
export function hasSecondFactor(amr: readonly AuthMethod[]): boolean {
  return amr.some((method) => STRONG.includes(method));
}
