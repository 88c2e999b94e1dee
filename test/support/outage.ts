import { EMBEDDED_POSTGRES } from '../../src/database/database.module.js';
import type { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { withAdminClient, type TestApp } from './test-app.js';

/** Cuts the app off its database and back: closes the embedded socket, or refuses connections on the server. */
export function outage(test: TestApp): { begin(): Promise<void>; end(): Promise<void> } {
  const serverUrl = process.env.DATABASE_URL;
  const name = test.database.url ? new URL(test.database.url).pathname.slice(1) : undefined;
  if (serverUrl && name) {
    return {
      begin: () =>
        withAdminClient(serverUrl, async (client) => {
          await client.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
          await client.query(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
            [name],
          );
        }),
      end: () =>
        withAdminClient(serverUrl, (client) => client.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`)).then(
          () => undefined,
        ),
    };
  }
  const embedded = test.app.get<EmbeddedPostgres>(EMBEDDED_POSTGRES);
  return { begin: () => embedded.unlisten(), end: () => embedded.listen() };
}
