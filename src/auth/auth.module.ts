import { Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '../audit/audit.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { GlobalRateLimitGuard, RouteRateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { UsersModule } from '../users/users.module.js';
import { AdminBootstrapService } from './admin-bootstrap.service.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { JwtAuthGuard } from './guards/jwt-auth.guard.js';
import { RolesGuard } from './guards/roles.guard.js';
import { OneTimeTokensService } from './one-time-tokens.service.js';
import { PasswordService } from './password.service.js';
import { RefreshCookieService } from './refresh-cookie.service.js';
import { RefreshLimitInterceptor } from './refresh-limit.interceptor.js';
import { SessionsModule } from './sessions.module.js';
import { CLOCK_TOLERANCE_SECONDS, JwtStrategy } from './strategies/jwt.strategy.js';
import { VerifiedTokens } from './verified-tokens.js';
import { LocalStrategy } from './strategies/local.strategy.js';

@Module({
  imports: [UsersModule, PassportModule, SessionsModule, AuditModule, RateLimitModule],
  controllers: [AuthController],
  providers: [
    AuthService,
    PasswordService,
    OneTimeTokensService,
    RefreshCookieService,
    AdminBootstrapService,
    LocalStrategy,
    JwtStrategy,
    { provide: VerifiedTokens, useFactory: () => new VerifiedTokens(CLOCK_TOLERANCE_SECONDS) },
    // Order matters: the global limit, authentication, the route's limits (which may count the caller), roles.
    { provide: APP_GUARD, useClass: GlobalRateLimitGuard },
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RouteRateLimitGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
    { provide: APP_INTERCEPTOR, useClass: RefreshLimitInterceptor },
  ],
  exports: [PasswordService, OneTimeTokensService, RefreshCookieService, SessionsModule],
})
export class AuthModule {}
