import { totpCode, totpStep } from '../../src/mfa/totp.js';

/** What the authenticator app would show for this secret, `steps` 30 s steps from now (−1, 0 or 1 are accepted). */
export function codeFor(secret: string, steps = 0, at = Date.now()): string {
  return totpCode(secret, totpStep(at) + steps);
}
