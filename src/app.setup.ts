import { VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { LogController } from 'fastify';
import { AppModule } from './app.module.js';
import { clientErrorHandler } from './common/filters/client-error.handler.js';
import { frameworkErrorAnswerer } from './common/filters/framework-errors.js';
import { addErrorResponses } from './common/openapi/error-responses.js';
import { acceptFormBodiesOnMarkedRoutes } from './common/http/form-body.js';
import { sendPageHeaders, securityHeaders } from './common/http/security-headers.js';
import { AppLogger, type LoggingOptions } from './common/logging/app-logger.js';
import { requestIdOf } from './common/logging/request-context.js';
import { logRequests } from './common/logging/request-logging.js';
import { appConfig, BODY_LIMIT_BYTES, type AppConfig } from './config/app.config.js';
import { ConfigError } from './config/config-error.js';
import { loggingConfig } from './config/logging.config.js';
import { metricsConfig, type MetricsConfig } from './config/metrics.config.js';
import { MetricsService } from './metrics/metrics.service.js';
import { observeRequestDurations } from './metrics/request-durations.js';
import { INTROSPECTION_CLIENT_SCHEME } from './oauth/decorators/client-authenticated.decorator.js';

export interface CreateAppOptions {
  /** The process's logger (`main.ts` makes it first; tests give theirs a level and a stream); by default `createLogger()`. */
  logger?: AppLogger;
}

/** A logger from LOG_LEVEL and LOG_FORMAT, `overrides` on top; an invalid variable falls back to its default (validateConfig names it). */
export function createLogger(overrides: Partial<LoggingOptions> = {}): AppLogger {
  let config: Pick<LoggingOptions, 'level' | 'format'>;
  try {
    config = loggingConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    config = { level: 'info', format: process.env.NODE_ENV === 'production' ? 'json' : 'pretty' };
  }
  return new AppLogger({ ...config, ...overrides });
}

/** Builds the application exactly as it runs in production; `main.ts` and the e2e tests both use it. */
export async function createApp(options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const { trustProxy, httpTimeouts, isProduction } = appConfig();
  const headers = securityHeaders(isProduction);
  const logger = options.logger ?? createLogger();
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy,
    // The caller's X-Request-Id when well-formed: one id across the proxy, this service and the log.
    genReqId: requestIdOf,
    // Fastify's own errors (a failing hook, a broken reply) reach the log; requests are logged by logRequests.
    loggerInstance: logger.pino.child({ context: 'Fastify' }, { level: atLeastWarn(logger.pino.level) }),
    logController: new LogController({ disableRequestLogging: true }),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // A malformed URL is refused before routing: answer it in the common shape, with the headers.
    frameworkErrors: frameworkErrorAnswerer(headers.api),
    // A slow or stalled request is answered 408 and closed; Fastify's default waits forever.
    ...httpTimeouts,
    clientErrorHandler: clientErrorHandler(headers.api),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, {
    logger,
    abortOnError: false,
    // Fastify's own JSON parser only (with the proto-poisoning checks above); Nest would add a form parser.
    bodyParser: false,
  });
  const config = app.get<AppConfig>(appConfig.KEY);
  // JSON only: a form, text/plain or multipart body (a cross-site "simple" request, sent without a
  // CORS preflight) gets 415 before any route sees it; only the routes marked FormBody() take a form.
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  acceptFormBodiesOnMarkedRoutes(app.getHttpAdapter().getInstance());

  app.setGlobalPrefix('api', {
    exclude: [
      'health',
      'health/live',
      'health/ready',
      'metrics',
      '.well-known/jwks.json',
      '.well-known/oauth-authorization-server',
      '/',
      'verify-email',
      'reset-password',
      'confirm-email',
      'app.js',
      'mfa.js',
      'app.css',
      'passkeys.js',
      'identities.js',
    ],
  });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  const fastify = app.getHttpAdapter().getInstance();
  logRequests(fastify, logger.requests);
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers.api);
    done();
  });
  // Only when /metrics is on: otherwise no one reads the histogram, and no request should pay for it.
  if (app.get<MetricsConfig>(metricsConfig.KEY).tokenSha256) observeRequestDurations(fastify, app.get(MetricsService));
  // Added before any route is registered (Nest's own, Swagger UI's), so that it sees them all.
  sendPageHeaders(fastify, headers.page, (url) => config.docsEnabled && /^\/docs(\/|$)/.test(url));
  // Without CORS_ORIGINS no cross-origin caller is allowed: browsers already refuse what carries no
  // CORS headers, so no hook runs (it would on every request).
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      credentials: true,
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Token-Transport', 'X-Request-Id'],
      exposedHeaders: ['X-Request-Id'],
      maxAge: 600,
    });
  }
  if (config.docsEnabled) setUpSwagger(app);
  return app;
}

/** Fastify says "Server listening" at info, which main.ts already says in its own words. */
function atLeastWarn(level: string): string {
  return level === 'error' || level === 'fatal' || level === 'silent' ? level : 'warn';
}

function setUpSwagger(app: NestFastifyApplication): void {
  const document = new DocumentBuilder()
    .setTitle('Auth service')
    .setDescription('Registration, login, rotating refresh tokens, sessions and user administration.')
    .setVersion('1')
    .addTag('auth', 'Registration, login, tokens and sessions')
    .addTag('account', 'Registration, email verification, password change and reset, profile, deletion')
    .addTag('users', 'User administration (admin role)')
    .addTag('audit', 'Security events')
    .addTag('keys', 'Public signing keys and metadata for services that verify the tokens')
    .addTag('oauth', 'Token introspection and authorization server metadata, for product services')
    .addTag('health')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addBasicAuth(
      { type: 'http', scheme: 'basic', description: 'An introspection client: its id and secret (INTROSPECTION_CLIENTS)' },
      INTROSPECTION_CLIENT_SCHEME,
    )
    // Protected by default, as the API is: public routes opt out with `@Public()`.
    .addSecurityRequirements('bearer')
    .build();
  SwaggerModule.setup('docs', app, () => addErrorResponses(SwaggerModule.createDocument(app, document)), {
    jsonDocumentUrl: 'docs-json',
  });
}
