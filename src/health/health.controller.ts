import { Controller, Get, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthCheck, HealthCheckResult } from '@nestjs/terminus';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { Public } from '../common/request/public.decorator.js';
import { ReadinessService } from './readiness.service.js';

@ApiTags('health')
// Probes must see the dependencies' state, not the limiter's (which itself needs Redis).
@SkipThrottle({ global: true, ip: true, account: true })
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  @Public()
  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process serves requests, shutdown included; touches no dependency' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Public()
  @Get('ready')
  @HealthCheck()
  @ApiErrors('shutting_down')
  @ApiOperation({
    summary:
      'Readiness: 200 when the database answers with every migration applied (and Redis, when configured); 503 naming what is down, or `shutting_down` from the shutdown signal on',
  })
  ready(): Promise<HealthCheckResult> {
    return this.readiness.check();
  }

  /** Kept for the probes already pointed at it (the image's HEALTHCHECK): the readiness check. */
  @Public()
  @Get()
  @HealthCheck()
  @ApiErrors('shutting_down')
  @ApiOperation({ summary: 'The readiness check, as `/health/ready`' })
  check(): Promise<HealthCheckResult> {
    return this.readiness.check();
  }
}
