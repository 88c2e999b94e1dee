import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

export type OAuthFlowPurpose = 'sign_in' | 'link';

/**
 * A sign-in at another provider, from `start` to the callback (10 minutes, spent once), then, for a
 * client that sent a PKCE challenge, its one-time code until exchanged (60 s). In the database, not
 * in memory, so any instance can finish what another started.
 */
@Entity('oauth_flows')
@Index('IDX_oauth_flows_expires_at', ['expiresAt'])
@Index('IDX_oauth_flows_used_at', ['usedAt'], { where: `"used_at" IS NOT NULL` })
@Index('UQ_oauth_flows_exchange_code_hash', ['exchangeCodeHash'], { unique: true, where: `"exchange_code_hash" IS NOT NULL` })
export class OAuthFlow {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_oauth_flows' })
  id: string;

  /** SHA-256 of the `state` sent to the provider. */
  @Index('UQ_oauth_flows_state_hash', { unique: true })
  @Column({ name: 'state_hash', type: 'char', length: 64 })
  stateHash: string;

  @Column({ type: 'varchar', length: 32 })
  provider: string;

  @Column({ type: 'varchar', length: 8 })
  purpose: OAuthFlowPurpose;

  /** `link`: the signed-in user who asked to link this provider. */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_oauth_flows_user' })
  user?: User;

  /** The nonce the ID token must carry back. */
  @Column({ type: 'varchar', length: 64 })
  nonce: string;

  /** Our PKCE verifier towards the provider (the provider's code is useless without it). */
  @Column({ name: 'code_verifier', type: 'varchar', length: 128 })
  codeVerifier: string;

  @Column({ name: 'redirect_to', type: 'text' })
  redirectTo: string;

  /** The PKCE S256 challenge of a client that will exchange a one-time code; null for the browser (cookie) flow. */
  @Column({ name: 'client_challenge', type: 'varchar', length: 128, nullable: true })
  clientChallenge: string | null;

  /** SHA-256 of the browser's binding cookie (see `BrowserBinding`): only the browser that started it finishes it. */
  @Column({ name: 'browser_hash', type: 'char', length: 64 })
  browserHash: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  /** The callback came back: the state is spent. */
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  /** Exchange flow: the account the callback signed in, waiting for the client's exchange. */
  @Column({ name: 'signed_in_user_id', type: 'uuid', nullable: true })
  signedInUserId: string | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'signed_in_user_id', foreignKeyConstraintName: 'FK_oauth_flows_signed_in_user' })
  signedInUser?: User;

  @Column({ name: 'exchange_code_hash', type: 'char', length: 64, nullable: true })
  exchangeCodeHash: string | null;

  @Column({ name: 'exchange_expires_at', type: 'timestamptz', nullable: true })
  exchangeExpiresAt: Date | null;

  @Column({ name: 'exchanged_at', type: 'timestamptz', nullable: true })
  exchangedAt: Date | null;
}
