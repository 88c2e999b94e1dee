import type { JsonWebKey } from 'node:crypto';
import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { SigningAlgorithm } from '../../config/auth.config.js';

/** Where a key came from: made by the service, or imported by an operator from a PEM file. */
export type SigningKeySource = 'generated' | 'imported';

/**
 * A key that signs access tokens. The public half is kept as a JWK (published); the private half,
 * or the HMAC key, only sealed under a key derived from the master secret. A revoked key is never
 * used again: not to sign, not to verify, not published.
 */
@Entity('signing_keys')
export class SigningKey {
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'PK_signing_keys' })
  kid: string;

  @Column({ type: 'varchar', length: 10 })
  algorithm: SigningAlgorithm;

  @Column({ name: 'public_jwk', type: 'jsonb', nullable: true })
  publicJwk: JsonWebKey | null;

  @Column({ name: 'private_key_sealed', type: 'text' })
  privateKeySealed: string;

  @Column({ type: 'varchar', length: 16 })
  source: SigningKeySource;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'signs_from', type: 'timestamptz' })
  signsFrom: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
