import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in with other providers (OpenID Connect, GitHub): the accounts linked to each user, and the
 * sign-ins under way (state, nonce and PKCE verifier kept server-side, hashed where they are
 * secrets; then the one-time code a non-browser client exchanges). A login's second step remembers
 * how the first was made (a password or a provider), so the session's amr says so.
 */
export class Identities1764800000001 implements MigrationInterface {
  name = 'Identities1764800000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "identities" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "provider" character varying(32) NOT NULL,
        "subject" character varying(255) NOT NULL,
        "email" character varying(254),
        "email_verified" boolean NOT NULL DEFAULT false,
        "linked_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_identities" PRIMARY KEY ("id"),
        CONSTRAINT "FK_identities_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_identities_provider_subject" ON "identities" ("provider", "subject")`);
    await queryRunner.query(`CREATE INDEX "IDX_identities_user" ON "identities" ("user_id")`);
    await queryRunner.query(`
      CREATE TABLE "oauth_flows" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "state_hash" character(64) NOT NULL,
        "provider" character varying(32) NOT NULL,
        "purpose" character varying(8) NOT NULL,
        "user_id" uuid,
        "nonce" character varying(64) NOT NULL,
        "code_verifier" character varying(128) NOT NULL,
        "redirect_to" text NOT NULL,
        "client_challenge" character varying(128),
        "browser_hash" character(64) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "used_at" TIMESTAMP WITH TIME ZONE,
        "signed_in_user_id" uuid,
        "exchange_code_hash" character(64),
        "exchange_expires_at" TIMESTAMP WITH TIME ZONE,
        "exchanged_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_oauth_flows" PRIMARY KEY ("id"),
        CONSTRAINT "FK_oauth_flows_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION,
        CONSTRAINT "FK_oauth_flows_signed_in_user" FOREIGN KEY ("signed_in_user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_oauth_flows_state_hash" ON "oauth_flows" ("state_hash")`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_oauth_flows_exchange_code_hash" ON "oauth_flows" ("exchange_code_hash") WHERE "exchange_code_hash" IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_oauth_flows_expires_at" ON "oauth_flows" ("expires_at")`);
    await queryRunner.query(`CREATE INDEX "IDX_oauth_flows_used_at" ON "oauth_flows" ("used_at") WHERE "used_at" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "login_challenges" ADD "first_method" character varying(16) NOT NULL DEFAULT 'pwd'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "login_challenges" DROP COLUMN "first_method"`);
    await queryRunner.query(`DROP TABLE "oauth_flows"`);
    await queryRunner.query(`DROP TABLE "identities"`);
  }
}
