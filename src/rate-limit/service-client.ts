import { SetMetadata } from '@nestjs/common';

export const SERVICE_CLIENT_ROUTE_KEY = 'serviceClientRoute';

/**
 * A route for services that authenticate as clients (introspection): the global per-address limit is
 * not counted before authentication there, but by ServiceClientRateLimitGuard once the route's own
 * guard has tried the client's credentials.
 */
export const ServiceClientRoute = (): MethodDecorator & ClassDecorator => SetMetadata(SERVICE_CLIENT_ROUTE_KEY, true);

/** The client each request authenticated as, set by the route's guard. */
const clients = new WeakMap<object, string>();

export function markServiceClient(request: object, clientId: string): void {
  clients.set(request, clientId);
}

export function serviceClientOf(request: object): string | undefined {
  return clients.get(request);
}
