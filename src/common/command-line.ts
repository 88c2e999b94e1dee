/**
 * Provided as `true` (in a global module) by the admin command line: start-up work that belongs to the
 * service itself, such as making the admin of ADMIN_EMAIL, is skipped there.
 */
export const COMMAND_LINE = Symbol('COMMAND_LINE');
