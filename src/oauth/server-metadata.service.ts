import { Inject, Injectable } from '@nestjs/common';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { oauthConfig, type OAuthConfig } from '../config/oauth.config.js';
import { SigningKeysService } from '../signing-keys/signing-keys.service.js';
import type { ServerMetadataDto } from './dto/server-metadata.dto.js';

/** Where IntrospectionController answers, under the global prefix and version that app.setup.ts sets. */
const INTROSPECTION_PATH = '/api/v1/oauth/introspect';

/**
 * RFC 8414 metadata: where the keys and the introspection endpoint are, on this service's public URL
 * (never a request's Host header). The issuer is JWT_ISSUER, the `iss` of the tokens, when it is set;
 * else the public URL, which the tokens then do not carry.
 */
@Injectable()
export class ServerMetadataService {
  /** Seconds the document may be cached: as long as the JWKS, whose keys it names the algorithms of. */
  readonly maxAge: number;
  private readonly fixed: Omit<ServerMetadataDto, 'access_token_signing_alg_values_supported'>;

  constructor(
    private readonly keys: SigningKeysService,
    @Inject(authConfig.KEY) auth: AuthConfig,
    @Inject(oauthConfig.KEY) oauth: OAuthConfig,
  ) {
    this.maxAge = auth.jwt.jwksMaxAge;
    this.fixed = {
      issuer: auth.jwt.issuer ?? oauth.publicUrl,
      jwks_uri: `${oauth.publicUrl}/.well-known/jwks.json`,
      introspection_endpoint: `${oauth.publicUrl}${INTROSPECTION_PATH}`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      // Required by RFC 8414: this service has no authorization endpoint, so it supports none.
      response_types_supported: [],
    };
  }

  document(): ServerMetadataDto {
    const algorithms = new Set([this.keys.signer().algorithm, ...this.keys.list().map((key) => key.algorithm)]);
    return { ...this.fixed, access_token_signing_alg_values_supported: [...algorithms] };
  }
}
