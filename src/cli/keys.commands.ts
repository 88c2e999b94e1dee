import { SigningKeysService, type KeyView } from '../signing-keys/signing-keys.service.js';
import type { Command } from './command.js';

const describeKey = (key: KeyView) =>
  `${key.kid}  ${key.algorithm}  ${key.state.padEnd(8)}  signs from ${key.signsFrom.toISOString()}  ${key.source}` +
  (key.published ? '' : '  (not published)');

export const keyCommands: Command[] = [
  {
    name: 'keys:rotate',
    usage: '[--now]',
    summary:
      'Make the next signing key: published in the JWKS at once, signing JWKS_MAX_AGE later (--now: at once). Nobody is logged out',
    audits: 'signing_key_created',
    needs: 'services',
    args: { operands: [], flags: ['--now'] },
    async run({ app, args, operator, print }) {
      const keys = app.get(SigningKeysService);
      // The deployment's algorithm is the signing key's, whatever JWT_ALGORITHM this shell has.
      const algorithm = keys.list().find((key) => key.state === 'signing')?.algorithm;
      const created = await keys.rotate(
        { userId: null, channel: 'cli', operator: operator.operator },
        { immediately: args.flags.has('--now'), algorithm },
      );
      print(`new: ${describeKey(created)}`);
      for (const key of keys.list()) print(describeKey(key));
    },
  },
];
