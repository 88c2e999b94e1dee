import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { AuthUser } from '../common/request/auth-user.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { SecurityNotices } from '../mail/security-notices.js';
import type { VerifyRegistrationDto } from './dto/verify-registration.dto.js';
import type { Passkey } from './entities/passkey.entity.js';
import { OwnerConfirmationService } from './owner-confirmation.service.js';
import { PasskeysService } from './passkeys.service.js';
import { WebAuthnCeremonies } from './webauthn-ceremonies.js';

/** The longest credential ID WebAuthn allows. */
const MAX_CREDENTIAL_ID_BYTES = 1023;

const DEFAULT_NAME = 'Passkey';

/** Adding a passkey to the signed-in caller's account. */
@Injectable()
export class PasskeyRegistrationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly passkeys: PasskeysService,
    private readonly ceremonies: WebAuthnCeremonies,
    private readonly confirmation: OwnerConfirmationService,
    private readonly audit: AuditService,
    private readonly notices: SecurityNotices,
  ) {}

  /** Creation options; the caller's passkeys are excluded, so an authenticator is not registered twice. */
  async options(auth: AuthUser): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.ceremonies.registrationOptions(auth.user, await this.passkeys.listFor(auth.user.id));
  }

  async verify(auth: AuthUser, { response, name = DEFAULT_NAME }: VerifyRegistrationDto, client: ClientInfo): Promise<Passkey> {
    const registered = await this.ceremonies.verifyRegistration(auth.user.id, response);
    // WebAuthn caps credential IDs at 1023 bytes; a longer one would not fit the unique index (a 500).
    if (Buffer.from(registered.credential.id, 'base64url').length > MAX_CREDENTIAL_ID_BYTES)
      throw new ApiException('passkey_rejected', `The passkey's credential ID is longer than ${MAX_CREDENTIAL_ID_BYTES} bytes`);
    const { passkey, email } = await this.dataSource.transaction(async (manager) => {
      const user = await this.confirmation.hold(manager, auth);
      const added = await this.passkeys.add(manager, {
        userId: user.id,
        credentialId: registered.credential.id,
        publicKey: Buffer.from(registered.credential.publicKey),
        counter: registered.credential.counter,
        transports: registered.credential.transports ?? response.response.transports ?? [],
        deviceType: registered.credentialDeviceType,
        backedUp: registered.credentialBackedUp,
        name,
      });
      await this.audit.record(manager, {
        type: 'passkey_added',
        userId: user.id,
        client,
        detail: { passkeyId: added.id, name, backedUp: added.backedUp },
      });
      return { passkey: added, email: user.email };
    });
    this.notices.send(
      email,
      'A passkey was added to your account',
      `A passkey named "${name}" was added to your account`,
      client,
    );
    return passkey;
  }
}
