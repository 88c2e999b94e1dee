import { Inject, Injectable } from '@nestjs/common';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type VerifiedRegistrationResponse,
} from '@simplewebauthn/server';
import { ApiException } from '../common/errors/api.exception.js';
import { mfaConfig, type MfaConfig } from '../config/mfa.config.js';
import type { RequestUser } from '../common/request/auth-user.js';
import type { AuthenticationCredentialDto, RegistrationCredentialDto } from './dto/passkey-credential.dto.js';
import type { Passkey } from './entities/passkey.entity.js';
import { CHALLENGE_TTL_SECONDS, WebAuthnChallengesService } from './webauthn-challenges.service.js';
import { webAuthnUserId } from './webauthn-user-id.js';
import { accountLabel } from '../common/request/account-label.js';

export type RegisteredCredential = NonNullable<VerifiedRegistrationResponse['registrationInfo']>;

/** Why a sign-in response was refused, for the audit log. */
export type AssertionRefusal = 'wrong_origin' | 'wrong_rp_id' | 'user_not_verified' | 'bad_signature' | 'malformed';

export type AssertionCheck = { ok: true; newCounter: number; backedUp: boolean } | { ok: false; reason: AssertionRefusal };

/**
 * The relying party's side of the WebAuthn ceremonies, over @simplewebauthn/server: options with a
 * challenge kept server-side, and the checks of what the browser sends back against the relying party
 * of the `mfa` config (RP ID, the origins of APP_URL). The library's errors never leave here.
 */
@Injectable()
export class WebAuthnCeremonies {
  private readonly rp: MfaConfig['webauthn'];

  constructor(
    private readonly challenges: WebAuthnChallengesService,
    @Inject(mfaConfig.KEY) config: MfaConfig,
  ) {
    this.rp = config.webauthn;
  }

  /** A discoverable credential (usernameless sign-in needs one), user verification preferred. */
  async registrationOptions(user: RequestUser, existing: Passkey[]): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const challenge = await this.challenges.issue('register', user.id);
    return generateRegistrationOptions({
      rpName: this.rp.rpName,
      rpID: this.rp.rpId,
      userID: webAuthnUserId(user.id),
      userName: accountLabel(user),
      userDisplayName: user.name ?? accountLabel(user),
      challenge: challenge.bytes,
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      attestationType: 'none',
      excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
    });
  }

  /** Spends the user's registration challenge and checks the attestation; 400 when it does not hold. */
  async verifyRegistration(userId: string, response: RegistrationCredentialDto): Promise<RegisteredCredential> {
    const challenge = await this.challenges.spend(response.response.clientDataJSON, 'register', userId);
    const refused = (why: string) => new ApiException('passkey_rejected', `The new passkey could not be verified: ${why}`);
    let verified: VerifiedRegistrationResponse;
    try {
      verified = await verifyRegistrationResponse({
        response: { ...response, clientExtensionResults: response.clientExtensionResults ?? {} },
        expectedChallenge: challenge,
        expectedOrigin: this.rp.origins,
        expectedRPID: this.rp.rpId,
        requireUserVerification: false,
      });
    } catch (error) {
      throw refused(describeRefusal(refusalOf(error)));
    }
    if (!verified.verified) throw refused('the attestation does not hold');
    return verified.registrationInfo;
  }

  /** For a usernameless sign-in: no allowed credentials (the authenticator offers its own), user verification required. */
  async authenticationOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const challenge = await this.challenges.issue('login', null);
    return generateAuthenticationOptions({
      rpID: this.rp.rpId,
      challenge: challenge.bytes,
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      userVerification: 'required',
    });
  }

  /** Spends the sign-in challenge the response signed (found by its hash); 400 when it cannot be. */
  spendLoginChallenge(response: AuthenticationCredentialDto): Promise<string> {
    return this.challenges.spend(response.response.clientDataJSON, 'login', null);
  }

  /**
   * Checks the assertion's origin, RP ID, flags and signature against the stored passkey. The counter
   * is left to the caller, which compares it with the stored one in the same statement that saves it.
   */
  async verifyAssertion(response: AuthenticationCredentialDto, challenge: string, passkey: Passkey): Promise<AssertionCheck> {
    try {
      const { verified, authenticationInfo } = await verifyAuthenticationResponse({
        response: { ...response, clientExtensionResults: response.clientExtensionResults ?? {} },
        expectedChallenge: challenge,
        expectedOrigin: this.rp.origins,
        expectedRPID: this.rp.rpId,
        // 0: the library skips its own counter check (see above).
        credential: { id: passkey.credentialId, publicKey: new Uint8Array(passkey.publicKey), counter: 0 },
        requireUserVerification: true,
      });
      return verified
        ? { ok: true, newCounter: authenticationInfo.newCounter, backedUp: authenticationInfo.credentialBackedUp }
        : { ok: false, reason: 'bad_signature' };
    } catch (error) {
      return { ok: false, reason: refusalOf(error) };
    }
  }
}

/** The library says what failed only in its messages. */
function refusalOf(error: unknown): AssertionRefusal {
  const message = error instanceof Error ? error.message : '';
  if (/origin/i.test(message)) return 'wrong_origin';
  if (/RP ID/i.test(message)) return 'wrong_rp_id';
  if (/user verification|user could not be verified|User not present/i.test(message)) return 'user_not_verified';
  if (/signature/i.test(message)) return 'bad_signature';
  return 'malformed';
}

function describeRefusal(reason: AssertionRefusal): string {
  switch (reason) {
    case 'wrong_origin':
      return 'it was made for another site';
    case 'wrong_rp_id':
      return 'it was made for another relying party';
    case 'user_not_verified':
      return 'the authenticator did not confirm the user';
    case 'bad_signature':
      return 'its signature does not hold';
    case 'malformed':
      return 'the response is malformed';
  }
}
