import { Module } from '@nestjs/common';
import { MfaModule } from '../mfa/mfa.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { MailModule } from '../mail/mail.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { UsersModule } from '../users/users.module.js';
import { OwnerConfirmationService } from './owner-confirmation.service.js';
import { PasskeyLoginService } from './passkey-login.service.js';
import { PasskeyRegistrationService } from './passkey-registration.service.js';
import { PasskeySettingsService } from './passkey-settings.service.js';
import { PasskeysController } from './passkeys.controller.js';
import { PasskeysService } from './passkeys.service.js';
import { WebAuthnCeremonies } from './webauthn-ceremonies.js';
import { WebAuthnChallengesService } from './webauthn-challenges.service.js';

/** WebAuthn passkeys: adding them while signed in, usernameless sign-in with one, their list. */
@Module({
  imports: [AuthModule, MfaModule, UsersModule, AuditModule, MailModule, RateLimitModule],
  controllers: [PasskeysController],
  providers: [
    PasskeysService,
    WebAuthnChallengesService,
    WebAuthnCeremonies,
    OwnerConfirmationService,
    PasskeyRegistrationService,
    PasskeyLoginService,
    PasskeySettingsService,
  ],
  exports: [PasskeysService, WebAuthnChallengesService],
})
export class PasskeysModule {}
