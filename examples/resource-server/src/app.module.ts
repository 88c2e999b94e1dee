import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwksStrategy } from './auth/jwks.strategy.js';
import { JwtAuthGuard } from './auth/jwt-auth.guard.js';
import { RolesGuard } from './auth/roles.guard.js';
import { HealthController } from './health/health.controller.js';
import { OrdersController } from './orders/orders.controller.js';
import { RESOURCE_SERVER_OPTIONS, type ResourceServerOptions } from './resource-server.options.js';

@Module({})
export class AppModule {
  static forRoot(options: ResourceServerOptions): DynamicModule {
    return {
      module: AppModule,
      controllers: [HealthController, OrdersController],
      providers: [
        { provide: RESOURCE_SERVER_OPTIONS, useValue: options },
        JwksStrategy,
        // Every route needs a token unless @Public(); the roles guard runs after it.
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
      ],
    };
  }
}
