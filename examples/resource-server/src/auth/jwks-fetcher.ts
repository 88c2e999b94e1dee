/** A JWK Set, as `GET /.well-known/jwks.json` answers it. */
export interface JwkSet {
  keys: Array<Record<string, unknown>>;
}

/**
 * The JWKS download jwks-rsa calls on a `kid` its cache does not hold, limited to `perMinute` requests
 * (a burst, then one every 60/perMinute s); past the limit it answers the set fetched last. jwks-rsa's
 * own `rateLimit` counts key lookups instead: tokens with made-up kids would use it up, and the real key
 * could then not be looked up again once its cache entry expired, refusing every caller.
 */
export function rateLimitedJwksFetcher(perMinute: number, timeoutMs: number): (uri: string) => Promise<JwkSet> {
  let last: Promise<JwkSet> | undefined;
  let inFlight = false;
  let allowance = perMinute;
  let countedAt = Date.now();
  return (uri) => {
    const now = Date.now();
    allowance = Math.min(perMinute, allowance + ((now - countedAt) / 60_000) * perMinute);
    countedAt = now;
    if (last && (inFlight || allowance < 1)) return last;
    allowance -= 1;
    inFlight = true;
    last = fetchJwks(uri, timeoutMs).finally(() => {
      inFlight = false;
    });
    return last;
  };
}

async function fetchJwks(uri: string, timeoutMs: number): Promise<JwkSet> {
  const response = await fetch(uri, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${uri} answered ${response.status}`);
  const body = (await response.json()) as Partial<JwkSet> | null;
  if (!Array.isArray(body?.keys)) throw new Error(`${uri} did not answer a JWK Set`);
  return { keys: body.keys };
}
