import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { MailModule } from '../mail/mail.module.js';
import { PasskeysModule } from '../passkeys/passkeys.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { UsersModule } from '../users/users.module.js';
import { BrowserBinding } from './browser-binding.js';
import { FederatedLoginService } from './federated-login.service.js';
import { IdentitiesController } from './identities.controller.js';
import { IdentitiesService } from './identities.service.js';
import { OAuthFlowsService } from './oauth-flows.service.js';
import { ProviderClients } from './provider-clients.js';
import { ProviderSignInService } from './provider-sign-in.service.js';
import { RedirectTargets } from './redirect-targets.js';

/** Sign-in with other providers (OpenID Connect, GitHub) and the identities linked to each account. */
@Module({
  imports: [AuthModule, PasskeysModule, UsersModule, AuditModule, MailModule, RateLimitModule],
  controllers: [IdentitiesController],
  providers: [
    ProviderClients,
    RedirectTargets,
    BrowserBinding,
    OAuthFlowsService,
    IdentitiesService,
    FederatedLoginService,
    ProviderSignInService,
  ],
  exports: [OAuthFlowsService],
})
export class IdentitiesModule {}
