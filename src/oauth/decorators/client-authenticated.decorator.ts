import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiBasicAuth } from '@nestjs/swagger';
import { IS_PUBLIC_KEY } from '../../common/request/public.decorator.js';
import { ServiceClientRoute } from '../../rate-limit/service-client.js';
import { IntrospectionClientGuard } from '../guards/introspection-client.guard.js';

/** The OpenAPI security scheme of introspection clients (app.setup.ts declares it). */
export const INTROSPECTION_CLIENT_SCHEME = 'introspection-client';

/**
 * A route for services, not people: no bearer token (the global JWT guard lets it through, as it does
 * public routes), but the HTTP Basic credentials of an introspection client, checked by
 * IntrospectionClientGuard with the rate limits of service clients. Not `@Public()`, whose empty
 * security requirement would tell the OpenAPI document that no credentials are needed.
 */
export const ClientAuthenticated = (): MethodDecorator =>
  applyDecorators(
    SetMetadata(IS_PUBLIC_KEY, true),
    ServiceClientRoute(),
    UseGuards(IntrospectionClientGuard),
    ApiBasicAuth(INTROSPECTION_CLIENT_SCHEME),
  );
