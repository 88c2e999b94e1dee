import { Controller, Get, Header, UseGuards, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Registry } from 'prom-client';
import { Public } from '../common/request/public.decorator.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';
import { MetricsService } from './metrics.service.js';

/** The path of the scrape route, outside `/api/v1` as `/health` is; not in the request histogram. */
export const METRICS_PATH = '/metrics';

// For the scraper, not for API clients: left out of the OpenAPI document, described in the README.
@ApiExcludeController()
// A scraper must never be refused by the limits meant for people; the token is its gate.
@SkipThrottle({ global: true, ip: true, account: true })
@Public()
@Controller({ path: METRICS_PATH, version: VERSION_NEUTRAL })
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @UseGuards(MetricsTokenGuard)
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  scrape(): Promise<string> {
    return this.metrics.render();
  }
}
