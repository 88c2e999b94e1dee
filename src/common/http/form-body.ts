import { RouteConfig } from '@nestjs/platform-fastify';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { ApiException } from '../errors/api.exception.js';

const FORM = 'application/x-www-form-urlencoded';
/** Names that would reach an object's prototype, refused as the JSON parser refuses them. */
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** Marks a route that takes a form body instead of JSON (the OAuth endpoints: RFC 6749 §2.3.1, RFC 7662 §2.1). */
export const FormBody = (): MethodDecorator => RouteConfig({ formBody: true });

function takesForm(request: FastifyRequest): boolean {
  return (request.routeOptions.config as { formBody?: unknown } | undefined)?.formBody === true;
}

/**
 * Form bodies on the routes marked `FormBody()`, and nowhere else: every other route still answers a
 * form with 415, as a cross-site "simple" POST (sent without a CORS preflight) must be answered; the
 * cookie-mode refresh relies on it. A marked route answers 415 to any body that is not a form.
 */
export function acceptFormBodiesOnMarkedRoutes(instance: FastifyInstance): void {
  instance.addContentTypeParser(FORM, { parseAs: 'string' }, (request, body, done) => {
    if (!takesForm(request)) {
      done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(FORM), undefined);
      return;
    }
    try {
      done(null, parseForm(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  instance.addHook('preParsing', (request, _reply, payload, done) => {
    const type = request.headers['content-type'];
    if (type !== undefined && takesForm(request) && type.split(';')[0].trim().toLowerCase() !== FORM) {
      done(new ApiException('unsupported_media_type', `Send the body as a form, with Content-Type: ${FORM}`));
      return;
    }
    done(null, payload);
  });
}

/** `a=1&b=2` → `{a: '1', b: '2'}`; a name sent twice keeps every value, as a list no text field accepts (RFC 6749 §3.1). */
function parseForm(text: string): Record<string, string | string[]> {
  const fields = new Map<string, string | string[]>();
  for (const [name, value] of new URLSearchParams(text)) {
    if (FORBIDDEN_NAMES.has(name)) throw new ApiException('bad_request', `The form must not hold a field named ${name}`);
    const seen = fields.get(name);
    fields.set(name, seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value]);
  }
  return Object.fromEntries(fields);
}
