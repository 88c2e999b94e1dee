import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { SigningKeysModule } from '../signing-keys/signing-keys.module.js';
import { IntrospectionClientsService } from './introspection-clients.service.js';
import { IntrospectionController } from './introspection.controller.js';
import { IntrospectionService } from './introspection.service.js';
import { ServerMetadataController } from './server-metadata.controller.js';
import { ServerMetadataService } from './server-metadata.service.js';

/** For product services: token introspection (RFC 7662) and the authorization server metadata (RFC 8414). */
@Module({
  imports: [AuthModule, AuditModule, RateLimitModule, SigningKeysModule],
  controllers: [IntrospectionController, ServerMetadataController],
  providers: [IntrospectionService, IntrospectionClientsService, ServerMetadataService],
  exports: [IntrospectionClientsService],
})
export class OAuthModule {}
