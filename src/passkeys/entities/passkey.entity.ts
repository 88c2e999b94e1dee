import type { CredentialDeviceType } from '@simplewebauthn/server';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

/** A signature counter fits 32 bits; bigint keeps it unsigned, and the driver hands bigint over as text. */
const counterColumn = { from: (value: string) => Number(value), to: (value: number) => value };

/** A WebAuthn credential of a user: its public key and what the authenticator said about it. */
@Entity('passkeys')
@Index('IDX_passkeys_user', ['userId'])
export class Passkey {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_passkeys' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_passkeys_user' })
  user?: User;

  /** The credential ID, base64url: what a sign-in names, unique across all users. */
  @Index('UQ_passkeys_credential_id', { unique: true })
  @Column({ name: 'credential_id', type: 'text' })
  credentialId: string;

  /** The COSE public key as the authenticator gave it. */
  @Column({ name: 'public_key', type: 'bytea' })
  publicKey: Buffer;

  /** The last signature counter seen; 0 for authenticators that keep none (most synced passkeys). */
  @Column({ type: 'bigint', default: 0, transformer: counterColumn })
  counter: number;

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  transports: string[];

  @Column({ name: 'device_type', type: 'varchar', length: 16 })
  deviceType: CredentialDeviceType;

  /** Synced to a backup (a password manager, a platform keychain): it survives the loss of one device. */
  @Column({ name: 'backed_up', type: 'boolean' })
  backedUp: boolean;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}
