import { userInfo } from 'node:os';
import type { Operator } from '../common/request/operator.js';

/** The OS user running the command (the one behind sudo, when run through it), for the audit log. */
export function currentOperator(): Operator {
  let name = process.env.SUDO_USER;
  try {
    name ||= userInfo().username;
  } catch {
    // A container user with no passwd entry has no name: its uid still tells something.
    name ||= `uid:${process.getuid?.() ?? 'unknown'}`;
  }
  return { channel: 'cli', operator: name };
}
