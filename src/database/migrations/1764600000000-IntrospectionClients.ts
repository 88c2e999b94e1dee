import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Introspection clients added and removed from the command line, beside those of INTROSPECTION_CLIENTS. */
export class IntrospectionClients1764600000000 implements MigrationInterface {
  name = 'IntrospectionClients1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "introspection_clients" (
        "id" character varying(64) NOT NULL,
        "secret_sha256" bytea NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_introspection_clients" PRIMARY KEY ("id")
      )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "introspection_clients"`);
  }
}
