import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { Session } from './entities/session.entity.js';
import { IdentityCache } from './identity-cache.js';
import { SessionsService } from './sessions.service.js';
import { TokensService } from './tokens.service.js';

/**
 * Sessions and the tokens that belong to them. A module of its own so that user administration can
 * end sessions without depending on the whole AuthModule (which depends on users).
 */
@Module({
  imports: [
    AuditModule,
    TypeOrmModule.forFeature([Session]),
    JwtModule.registerAsync({
      inject: [authConfig.KEY],
      useFactory: ({ jwt }: AuthConfig) => ({
        secret: jwt.key,
        signOptions: {
          algorithm: jwt.algorithm,
          expiresIn: jwt.accessTtl,
          ...(jwt.issuer && { issuer: jwt.issuer }),
          ...(jwt.audience && { audience: jwt.audience }),
        },
      }),
    }),
  ],
  providers: [SessionsService, TokensService, IdentityCache],
  exports: [SessionsService, TokensService, IdentityCache],
})
export class SessionsModule {}
