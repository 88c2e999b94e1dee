import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RedisModule } from '../rate-limit/redis.module.js';
import { HealthController } from './health.controller.js';
import { MigrationsHealthIndicator } from './migrations.health.js';
import { ReadinessService } from './readiness.service.js';
import { RedisHealthIndicator } from './redis.health.js';
import { ShutdownState } from './shutdown-state.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), RedisModule],
  controllers: [HealthController],
  providers: [RedisHealthIndicator, MigrationsHealthIndicator, ReadinessService, ShutdownState],
  exports: [ShutdownState],
})
export class HealthModule {}
