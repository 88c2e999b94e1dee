import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { oauthConfig, type OAuthConfig } from '../config/oauth.config.js';
import { parseBasicCredentials } from './basic-credentials.js';

/** The services allowed to introspect tokens (INTROSPECTION_CLIENTS), of whose secrets only a SHA-256 is kept. */
@Injectable()
export class IntrospectionClientsService {
  private readonly secretHashes: ReadonlyMap<string, Buffer>;
  /** Compared against when the id is unknown: an unknown id costs the same comparison as a wrong secret. */
  private readonly decoy = randomBytes(32);

  constructor(@Inject(oauthConfig.KEY) config: OAuthConfig) {
    this.secretHashes = new Map(config.introspectionClients.map((client) => [client.id, client.secretSha256]));
  }

  /** The id of the client these HTTP Basic credentials belong to; undefined for anything else. */
  authenticate(authorization: string | undefined): string | undefined {
    const credentials = parseBasicCredentials(authorization);
    if (!credentials) return undefined;
    const expected = this.secretHashes.get(credentials.id);
    // Equal-length digests, compared in constant time whatever the secret's length.
    const matches = timingSafeEqual(createHash('sha256').update(credentials.secret).digest(), expected ?? this.decoy);
    return expected !== undefined && matches ? credentials.id : undefined;
  }
}
