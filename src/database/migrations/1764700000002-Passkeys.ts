import type { MigrationInterface, QueryRunner } from 'typeorm';

/** WebAuthn passkeys, and the challenges of their ceremonies (kept hashed, spent once, five minutes). */
export class Passkeys1764700000002 implements MigrationInterface {
  name = 'Passkeys1764700000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "passkeys" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "credential_id" text NOT NULL,
        "public_key" bytea NOT NULL,
        "counter" bigint NOT NULL DEFAULT 0,
        "transports" text array NOT NULL DEFAULT '{}',
        "device_type" character varying(16) NOT NULL,
        "backed_up" boolean NOT NULL,
        "name" character varying(64) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "last_used_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_passkeys" PRIMARY KEY ("id"),
        CONSTRAINT "FK_passkeys_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_passkeys_credential_id" ON "passkeys" ("credential_id")`);
    await queryRunner.query(`CREATE INDEX "IDX_passkeys_user" ON "passkeys" ("user_id")`);
    await queryRunner.query(`
      CREATE TABLE "webauthn_challenges" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "challenge_hash" character(64) NOT NULL,
        "purpose" character varying(10) NOT NULL,
        "user_id" uuid,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "used_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_webauthn_challenges" PRIMARY KEY ("id"),
        CONSTRAINT "FK_webauthn_challenges_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_webauthn_challenges_hash" ON "webauthn_challenges" ("challenge_hash")`);
    await queryRunner.query(`CREATE INDEX "IDX_webauthn_challenges_expires_at" ON "webauthn_challenges" ("expires_at")`);
    await queryRunner.query(
      `CREATE INDEX "IDX_webauthn_challenges_used_at" ON "webauthn_challenges" ("used_at") WHERE "used_at" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "webauthn_challenges"`);
    await queryRunner.query(`DROP TABLE "passkeys"`);
  }
}
