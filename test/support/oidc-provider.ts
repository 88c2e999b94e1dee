import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** The person the test provider signs in next, as its claims say. */
export interface TestPerson {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who the next sign-in at the provider is (no login form: the interaction finishes at once). */
  signInAs(person: TestPerson): void;
  /** The environment that configures the app with this provider under `name`. */
  env(name?: string): Record<string, string>;
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (`oidc-provider`) on loopback with one confidential test client. Its
 * interaction logs in `signInAs`'s person and consents at once, so a browser or `followToCallback` goes
 * from the authorization URL straight back to the app's callback with a code.
 */
export async function startOidcProvider(options: { redirectUris: string[] }): Promise<TestOidcProvider> {
  let person: TestPerson = { sub: 'test-person', email: 'person@provider.test', email_verified: true, name: 'Test Person' };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'auth-service-test';
  const clientSecret = 'a-test-client-secret-of-enough-length-1234567890';
  const accounts = new Map<string, TestPerson>();
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    pkce: { required: () => true },
    // The ID token carries the claims of the scopes granted (email, name), as Google's and Microsoft's do.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ['test-provider-cookie-key'] },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => {
      const known = accounts.get(sub);
      return known ? { accountId: sub, claims: () => ({ ...known }) } : undefined;
    },
  });
  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/interaction/')) {
      void finishInteraction(provider, req, res, person, accounts).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    void callback(req, res);
  });
  return {
    issuer,
    clientId,
    clientSecret,
    signInAs(next) {
      person = next;
    },
    env(name = 'test') {
      const upper = name.toUpperCase();
      return {
        OAUTH_PROVIDERS: name,
        [`OAUTH_${upper}_CLIENT_ID`]: clientId,
        [`OAUTH_${upper}_CLIENT_SECRET`]: clientSecret,
        [`OAUTH_${upper}_ISSUER`]: issuer,
      };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Logs the current person in and grants the scopes asked for, as a person clicking "Allow" would. */
async function finishInteraction(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  person: TestPerson,
  accounts: Map<string, TestPerson>,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  accounts.set(person.sub, person);
  const grant = new provider.Grant({ accountId: person.sub, clientId: String(details.params.client_id) });
  grant.addOIDCScope(typeof details.params.scope === 'string' ? details.params.scope : 'openid');
  const grantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: person.sub }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

/**
 * Follows an authorization URL through the provider as a browser would (its cookies kept), until the
 * provider redirects to a URL that starts with `callbackPrefix`; answers that URL.
 */
export async function followToCallback(authorizationUrl: string, callbackPrefix: string): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = authorizationUrl;
  for (let hop = 0; hop < 10; hop++) {
    if (url.startsWith(callbackPrefix)) return new URL(url);
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
    }
    const location = response.headers.get('location');
    if (!location)
      throw new Error(`the provider answered ${response.status} without a redirect at ${url}: ${await response.text()}`);
    url = new URL(location, url).href;
  }
  throw new Error('too many redirects at the provider');
}
