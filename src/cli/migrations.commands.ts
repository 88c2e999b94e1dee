import { migrationStates } from '../database/typeorm-options.js';
import type { Command } from './command.js';

export const migrationCommands: Command[] = [
  {
    name: 'migrations:status',
    usage: '',
    summary: 'List the migrations of this version, applied or pending (works on a database that is behind)',
    needs: 'database',
    args: { operands: [] },
    async run({ dataSource, print }) {
      const states = await migrationStates(dataSource);
      for (const state of states)
        print(
          `${state.applied ? 'applied' : 'pending'}  ${state.name}${state.known ? '' : '  (unknown to this version: applied by a newer one)'}`,
        );
      const pending = states.filter((state) => !state.applied).length;
      print(
        pending === 0
          ? `up to date: ${states.length} applied`
          : `${pending} pending: start the service, or run npm run migration:run (Docker image: node dist/database/migrate.js run)`,
      );
    },
  },
];
