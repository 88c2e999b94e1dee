/**
 * The WebAuthn user handle of an account is the 16 bytes of its uuid: stable, unique, and no personal
 * data (no email or name) stored on the authenticator. A sign-in's userHandle names the account.
 */
export function webAuthnUserId(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'));
}

/** The user handle as a browser returns it (base64url). */
export function webAuthnUserHandle(userId: string): string {
  return Buffer.from(webAuthnUserId(userId)).toString('base64url');
}
