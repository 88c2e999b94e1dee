import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * An introspection client registered from the command line (those of INTROSPECTION_CLIENTS live only
 * in the configuration). Only the SHA-256 of its secret is kept: the secret is shown once, when made.
 */
@Entity('introspection_clients')
export class IntrospectionClient {
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'PK_introspection_clients' })
  id: string;

  @Column({ name: 'secret_sha256', type: 'bytea' })
  secretSha256: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
