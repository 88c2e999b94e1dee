import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { cookieValues } from '../common/request/cookies.js';
import { appConfig, type AppConfig } from '../config/app.config.js';

const BINDING = /^[A-Za-z0-9_-]{43}$/;
const MAX_AGE_SECONDS = 600;

/**
 * Ties a provider sign-in to the browser that started it: `start` (and a link's start) sets a random
 * value in an HttpOnly cookie, the flow keeps its hash, and the callback is refused without it. So a
 * callback URL (state and code) handed to someone else's browser signs no one in there (login CSRF),
 * and a link flow started by one person cannot be finished by another, attaching their provider
 * account to the first person's account. SameSite=Lax, not Strict: the callback arrives by a
 * top-level redirect from the provider's site, which must carry it. One value per browser, reused
 * while it lasts, so two tabs' sign-ins do not undo each other.
 */
@Injectable()
export class BrowserBinding {
  private readonly name: string;

  constructor(@Inject(appConfig.KEY) private readonly app: AppConfig) {
    // `__Host-`: Secure, Path=/, no Domain: no sibling subdomain can plant one (production is HTTPS).
    this.name = app.isProduction ? '__Host-auth_oauth' : 'auth_oauth';
  }

  /** The browser's binding (a new one when it has none), set again on the reply for another 10 minutes. */
  issue(request: FastifyRequest, reply: FastifyReply): string {
    const value = this.read(request) ?? randomBytes(32).toString('base64url');
    const path = this.app.isProduction ? '/' : '/api/v1/auth';
    void reply.header(
      'set-cookie',
      `${this.name}=${value}; Path=${path}; Max-Age=${MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax${this.app.isProduction ? '; Secure' : ''}`,
    );
    return value;
  }

  /** The binding the request carries, if any well-formed one. */
  read(request: FastifyRequest): string | undefined {
    return cookieValues(request.headers.cookie, this.name).find((value) => BINDING.test(value));
  }
}
