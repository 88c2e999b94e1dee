import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { GlobalRateLimitGuard, RouteRateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { UsersModule } from '../users/users.module.js';
import { AccessTokenVerifier } from './access-token-verifier.js';
import { AdminBootstrapService } from './admin-bootstrap.service.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { Session } from './entities/session.entity.js';
import { JwtAuthGuard } from './guards/jwt-auth.guard.js';
import { LoginSecondStep } from './login-second-step.js';
import { RolesGuard } from './guards/roles.guard.js';
import { IdentityCache } from './identity-cache.js';
import { OneTimeTokensService } from './one-time-tokens.service.js';
import { PasswordService } from './password.service.js';
import { RefreshCookieService } from './refresh-cookie.service.js';
import { SessionRotationService } from './session-rotation.service.js';
import { SessionRepository } from './session.repository.js';
import { SessionsService } from './sessions.service.js';
import { CLOCK_TOLERANCE_SECONDS } from '../signing-keys/signing-keys.service.js';
import { SigningKeysModule } from '../signing-keys/signing-keys.module.js';
import { JwtStrategy } from './strategies/jwt.strategy.js';
import { LocalStrategy } from './strategies/local.strategy.js';
import { TokensService } from './tokens.service.js';
import { VerifiedTokens } from './verified-tokens.js';

@Module({
  imports: [
    UsersModule,
    AuditModule,
    RateLimitModule,
    PassportModule,
    TypeOrmModule.forFeature([Session]),
    SigningKeysModule,
    JwtModule.registerAsync({
      inject: [authConfig.KEY],
      // The key and algorithm come with each signature, from SigningKeysService.
      useFactory: ({ jwt }: AuthConfig) => ({
        signOptions: {
          expiresIn: jwt.accessTtl,
          ...(jwt.issuer && { issuer: jwt.issuer }),
          ...(jwt.audience && { audience: jwt.audience }),
        },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    AccessTokenVerifier,
    SessionsService,
    SessionRepository,
    SessionRotationService,
    TokensService,
    IdentityCache,
    PasswordService,
    OneTimeTokensService,
    RefreshCookieService,
    AdminBootstrapService,
    LoginSecondStep,
    LocalStrategy,
    JwtStrategy,
    { provide: VerifiedTokens, useFactory: () => new VerifiedTokens(CLOCK_TOLERANCE_SECONDS) },
    // Order matters: the global limit, authentication, the route's limits (which may count the caller), roles.
    { provide: APP_GUARD, useClass: GlobalRateLimitGuard },
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RouteRateLimitGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
  exports: [
    SessionsService,
    SessionRepository,
    AccessTokenVerifier,
    PasswordService,
    OneTimeTokensService,
    RefreshCookieService,
    LoginSecondStep,
  ],
})
export class AuthModule {}
