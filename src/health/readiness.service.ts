import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ApiException } from '../common/errors/api.exception.js';
import { MigrationsHealthIndicator } from './migrations.health.js';
import { RedisHealthIndicator } from './redis.health.js';
import { ShutdownState } from './shutdown-state.js';

const DATABASE_PING_TIMEOUT_MS = 1500;

/** What each check that fails is called in the 503's message. */
const DOWN: Record<string, string> = { migrations: 'migrations are not all applied' };

/** Ready: not shutting down, the database answers with every migration applied, and Redis answers when configured. */
@Injectable()
export class ReadinessService {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly migrations: MigrationsHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly shutdown: ShutdownState,
  ) {}

  async check(): Promise<HealthCheckResult> {
    if (this.shutdown.stopping) throw new ApiException('shutting_down', 'Shutting down: this instance takes no new requests');
    try {
      return await this.health.check([
        () => this.database.pingCheck('database', { timeout: DATABASE_PING_TIMEOUT_MS }),
        () => this.migrations.check(),
        ...(this.redis.enabled ? [() => this.redis.check()] : []),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as Partial<HealthCheckResult>;
      const down = Object.keys(result.error ?? {}).map((name) => DOWN[name] ?? `${name} is down`);
      throw new ServiceUnavailableException(`Unhealthy: ${down.length ? down.join(', ') : 'a dependency is down'}`);
    }
  }
}
