import { Controller, Get, ServiceUnavailableException, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthCheck, HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/request/public.decorator.js';
import { RedisHealthIndicator } from './redis.health.js';

const DATABASE_PING_TIMEOUT_MS = 1500;

@ApiTags('health')
// Probes must see the dependencies' state, not the limiter's (which itself needs Redis).
@SkipThrottle({ global: true, ip: true, account: true })
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  @Public()
  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process serves requests; touches no dependency' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Public()
  @Get()
  @HealthCheck()
  @ApiOperation({
    summary: 'Database (and Redis, when configured) check: 200 when every dependency is up, 503 naming the ones that are down',
  })
  async check(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.database.pingCheck('database', { timeout: DATABASE_PING_TIMEOUT_MS }),
        ...(this.redis.enabled ? [() => this.redis.check()] : []),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as Partial<HealthCheckResult>;
      const down = Object.keys(result.error ?? {});
      throw new ServiceUnavailableException(`Unhealthy: ${down.length ? down.join(', ') : 'a dependency'} is down`);
    }
  }
}
