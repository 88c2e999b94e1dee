import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { RequestUser } from '../../common/request/auth-user.js';
import { Role } from '../../common/request/role.enum.js';

@Entity('users')
@Index('UQ_users_email', ['email'], { unique: true })
// Newest-first pages of the admin list, read backwards: (created_at DESC, id DESC).
@Index('IDX_users_created_at_id', ['createdAt', 'id'])
// Trigram (GIN) indexes for the admin search's ILIKE '%term%'; TypeORM cannot describe them, the migration makes them.
@Index('IDX_users_email_trgm', { synchronize: false })
@Index('IDX_users_name_trgm', { synchronize: false })
@Check('CHK_users_email_lower', `"email" = lower("email")`)
@Check('CHK_users_roles', `"roles" <@ ARRAY['user', 'admin']::text[] AND cardinality("roles") > 0`)
export class User implements RequestUser {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_users' })
  id: string;

  /** Always stored trimmed and lower-cased; the check constraint makes the unique index case-insensitive. */
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 100, select: false })
  passwordHash: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  name: string | null;

  @Column({ type: 'text', array: true, default: () => `'{user}'` })
  roles: Role[];

  @Column({ name: 'email_verified_at', type: 'timestamptz', nullable: true })
  emailVerifiedAt: Date | null;

  /** Set while an admin has disabled the account: no login, refresh or access token works. */
  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
