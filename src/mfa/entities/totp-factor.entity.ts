import { Column, CreateDateColumn, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

/** A user's authenticator app: at most one, pending until a code from it is confirmed. */
@Entity('totp_factors')
export class TotpFactor {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'PK_totp_factors' })
  userId: string;

  @OneToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_totp_factors_user' })
  user?: User;

  /** The base32 secret, sealed (AES-GCM) under a key derived from the master secret: a dump alone cannot make codes. */
  @Column({ name: 'secret_sealed', type: 'varchar', length: 200 })
  secretSealed: string;

  /** Null while set up but not confirmed: such a factor is not asked for at login. */
  @Column({ name: 'confirmed_at', type: 'timestamptz', nullable: true })
  confirmedAt: Date | null;

  /** The 30 s step of the last accepted code: a code of that step or an earlier one is refused (no replay). */
  @Column({ name: 'last_used_step', type: 'bigint', nullable: true })
  lastUsedStep: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
