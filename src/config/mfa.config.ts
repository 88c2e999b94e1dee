import { ConfigType, registerAs } from '@nestjs/config';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { readEnv } from './env.js';

class MfaEnv {
  /** true: an admin's session must have been signed in with a second factor before admin routes answer. */
  @IsIn(['true', 'false'], { message: 'REQUIRE_MFA_FOR_ADMINS must be true or false' })
  REQUIRE_MFA_FOR_ADMINS: string = 'false';

  /** The WebAuthn relying party: the host name passkeys are bound to (APP_URL's host, or a parent domain of it). */
  @IsOptional()
  @Matches(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, {
    message: 'WEBAUTHN_RP_ID must be a lower-case host name such as example.com (no scheme, port or path)',
  })
  WEBAUTHN_RP_ID?: string;

  /** The name authenticators and authenticator apps show for this service. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  @Matches(/^[^\r\n:]+$/, { message: 'WEBAUTHN_RP_NAME must be one line without a colon' })
  WEBAUTHN_RP_NAME: string = 'Auth service';
}

export const mfaConfig = registerAs('mfa', () => {
  // Same default as mail's APP_URL: the page's own origin.
  const appUrl = (process.env.APP_URL ?? `http://localhost:${process.env.PORT || 3000}`).replace(/\/+$/, '');
  const origin = originOf(appUrl);
  const env = readEnv(MfaEnv, process.env, (env) => rpProblems(env.WEBAUTHN_RP_ID, origin));
  return {
    requireForAdmins: env.REQUIRE_MFA_FOR_ADMINS === 'true',
    webauthn: {
      rpId: env.WEBAUTHN_RP_ID ?? (origin ? new URL(origin).hostname : 'localhost'),
      rpName: env.WEBAUTHN_RP_NAME,
      /** Where passkey ceremonies may run: APP_URL's origin. */
      origins: origin ? [origin] : [],
    },
    /** The issuer an authenticator app shows beside the account (otpauth:// label). */
    issuer: env.WEBAUTHN_RP_NAME,
  };
});

export type MfaConfig = ConfigType<typeof mfaConfig>;

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined; // mail.config reports a malformed APP_URL
  }
}

/** A browser accepts an RP ID equal to the origin's host or a registrable suffix of it. */
function rpProblems(rpId: string | undefined, origin: string | undefined): string[] {
  if (!rpId || !origin) return [];
  const host = new URL(origin).hostname;
  return host === rpId || host.endsWith(`.${rpId}`)
    ? []
    : [`WEBAUTHN_RP_ID must be APP_URL's host (${host}) or a parent domain of it`];
}
