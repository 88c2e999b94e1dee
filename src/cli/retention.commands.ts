import { PurgeService } from '../retention/purge.service.js';
import type { Command } from './command.js';

export const retentionCommands: Command[] = [
  {
    name: 'purge',
    usage: '',
    summary:
      'Run the retention purge now (ended sessions after SESSION_RETENTION, spent links after a day, audit events after AUDIT_RETENTION)',
    audits: 'retention_purge',
    needs: 'services',
    args: { operands: [] },
    async run({ app, operator, print }) {
      const { status, deleted, durationMs } = await app.get(PurgeService).purgeNowFor(operator);
      const counts = `${deleted.sessions} sessions, ${deleted.oneTimeTokens} one-time tokens, ${deleted.loginChallenges} login challenges, ${deleted.auditEvents} audit events`;
      if (status === 'locked')
        print(`another instance is purging: deleted ${counts} here before it took over (${durationMs} ms)`);
      else print(`purged in ${durationMs} ms: deleted ${counts}`);
    },
  },
];
