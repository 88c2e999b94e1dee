import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { isUniqueViolation } from '../common/database/pg-errors.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { Operator } from '../common/request/operator.js';
import { INTROSPECTION_CLIENT_ID, oauthConfig, type OAuthConfig } from '../config/oauth.config.js';
import { parseBasicCredentials } from './basic-credentials.js';
import { IntrospectionClient } from './entities/introspection-client.entity.js';

/** A client as an operator sees it: never its secret. */
export interface IntrospectionClientView {
  id: string;
  /** `config`: INTROSPECTION_CLIENTS (changed there, with a restart); `database`: added from the command line. */
  source: 'config' | 'database';
  createdAt: Date | null;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * The services allowed to introspect tokens, of whose secrets only a SHA-256 is kept: those of
 * INTROSPECTION_CLIENTS, and those added from the command line (the `introspection_clients` table).
 * The table is read on each authentication, a primary-key lookup beside the reads introspection makes
 * anyway: a client removed on one instance is refused by every instance at once, with no cache to tell.
 */
@Injectable()
export class IntrospectionClientsService {
  private readonly configured: ReadonlyMap<string, Buffer>;
  /** Compared against when the id is unknown: an unknown id costs the same comparison as a wrong secret. */
  private readonly decoy = randomBytes(32);

  constructor(
    @Inject(oauthConfig.KEY) config: OAuthConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {
    this.configured = new Map(config.introspectionClients.map((client) => [client.id, client.secretSha256]));
  }

  /** The id of the client these HTTP Basic credentials belong to; undefined for anything else. */
  async authenticate(authorization: string | undefined): Promise<string | undefined> {
    const credentials = parseBasicCredentials(authorization);
    if (!credentials) return undefined;
    const expected = this.configured.get(credentials.id) ?? (await this.storedSecretHash(credentials.id));
    // Equal-length digests, compared in constant time whatever the secret's length.
    const matches = timingSafeEqual(sha256(credentials.secret), expected ?? this.decoy);
    return expected !== undefined && matches ? credentials.id : undefined;
  }

  /** Registers a client and answers its secret (32 random bytes, base64url), which is kept only as a hash: shown once. */
  async add(id: string, operator: Operator): Promise<string> {
    this.assertNotConfigured(id);
    if (!INTROSPECTION_CLIENT_ID.test(id))
      throw new ApiException('validation_failed', ['the client id must be 1 to 64 letters, digits or . _ -']);
    const secret = randomBytes(32).toString('base64url');
    try {
      await this.dataSource.transaction(async (manager) => {
        await manager.insert(IntrospectionClient, { id, secretSha256: sha256(secret) });
        await this.audit.record(manager, {
          type: 'introspection_client_added',
          userId: null,
          detail: { clientId: id, ...operator },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ApiException('conflict', `An introspection client ${id} already exists`);
      throw error;
    }
    return secret;
  }

  /** Removes a client added from the command line: its next request is refused, on every instance. */
  async remove(id: string, operator: Operator): Promise<void> {
    this.assertNotConfigured(id);
    await this.dataSource.transaction(async (manager) => {
      const { affected } = await manager.delete(IntrospectionClient, { id });
      if (!affected) throw new ApiException('not_found', `No introspection client ${id}`);
      await this.audit.record(manager, {
        type: 'introspection_client_removed',
        userId: null,
        detail: { clientId: id, ...operator },
      });
    });
  }

  async list(): Promise<IntrospectionClientView[]> {
    const stored = await this.dataSource.getRepository(IntrospectionClient).find({ order: { id: 'ASC' } });
    return [
      ...[...this.configured.keys()].sort().map((id) => ({ id, source: 'config' as const, createdAt: null })),
      ...stored.map(({ id, createdAt }) => ({ id, source: 'database' as const, createdAt })),
    ];
  }

  private async storedSecretHash(id: string): Promise<Buffer | undefined> {
    // Not an id a client can have: no need to ask the database.
    if (!INTROSPECTION_CLIENT_ID.test(id)) return undefined;
    const row = await this.dataSource.getRepository(IntrospectionClient).findOneBy({ id });
    return row?.secretSha256;
  }

  private assertNotConfigured(id: string): void {
    if (this.configured.has(id))
      throw new ApiException(
        'conflict',
        `${id} is configured in INTROSPECTION_CLIENTS: change it there (and restart); the command line manages only the clients it added`,
      );
  }
}
