import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

/** An account at another provider (its `sub`) that signs in to one user here. */
@Entity('identities')
@Index('UQ_identities_provider_subject', ['provider', 'subject'], { unique: true })
@Index('IDX_identities_user', ['userId'])
export class Identity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_identities' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_identities_user' })
  user?: User;

  /** The name in OAUTH_PROVIDERS (`google`, `github`…). */
  @Column({ type: 'varchar', length: 32 })
  provider: string;

  /** The provider's stable id of the person: `sub` of OpenID Connect, GitHub's numeric user id. Never the email. */
  @Column({ type: 'varchar', length: 255 })
  subject: string;

  /** The address the provider gave at the last sign-in, for the person to recognise the link; never used to match accounts. */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  @Column({ name: 'email_verified', type: 'boolean', default: false })
  emailVerified: boolean;

  @Column({ name: 'linked_at', type: 'timestamptz', default: () => 'now()' })
  linkedAt: Date;
}
