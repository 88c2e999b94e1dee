import type { FastifyRequest } from 'fastify';

const MAX_USER_AGENT = 512;

/** Who is calling, as recorded on sessions and audit events. */
export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}

export function clientInfo(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return {
    userAgent: typeof userAgent === 'string' && userAgent.length > 0 ? userAgent.slice(0, MAX_USER_AGENT) : null,
    ip: request.ip || null,
  };
}
