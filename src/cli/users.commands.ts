import { NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RegisterDto } from '../account/dto/register.dto.js';
import { ForgotPasswordDto } from '../account/dto/forgot-password.dto.js';
import { PasswordRecoveryService } from '../account/password-recovery.service.js';
import { AdminUsersService } from '../admin/admin-users.service.js';
import { AuditService } from '../audit/audit.service.js';
import { createValidationPipe } from '../common/pipes/validation.pipe.js';
import { LoginLockoutService } from '../rate-limit/login-lockout.service.js';
import { RedisFallbackService } from '../rate-limit/redis-fallback.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { CliError } from './cli-error.js';
import type { Command, CommandContext } from './command.js';
import { readSecret } from './prompt.js';
import { accountLabel } from '../common/request/account-label.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Input checked by the API's own pipe and DTO, so the command line accepts exactly what the API accepts. */
async function validated<T>(dto: new () => T, value: object): Promise<T> {
  return (await createValidationPipe().transform(value, { type: 'body', metatype: dto })) as T;
}

/** The user named by `ref`: an id, an email written as the API takes it (trimmed, any case), or a username (any case). */
async function findUser({ app }: CommandContext, ref: string): Promise<User> {
  const users = app.get(UsersService);
  if (UUID.test(ref)) {
    try {
      return await users.getById(ref.toLowerCase());
    } catch (error) {
      if (error instanceof NotFoundException) throw new CliError(`no user with id ${ref}`);
      throw error;
    }
  }
  if (!ref.includes('@')) {
    const user = await users.findByUsername(ref);
    if (!user) throw new CliError(`no user with username ${ref}`);
    return user;
  }
  const { email } = await validated(ForgotPasswordDto, { email: ref });
  const user = await users.findByEmail(email);
  if (!user) throw new CliError(`no user with email ${email}`);
  return user;
}

const USER = '<email-or-id>';

export const userCommands: Command[] = [
  {
    name: 'users:create-admin',
    usage: '<email> [--name <name>]',
    summary:
      'Create an account with the admin role. The password is read from stdin (typed twice, hidden, at a terminal), never an argument',
    audits: 'account_created',
    needs: 'services',
    args: { operands: ['email'], values: ['--name'] },
    async run(context) {
      const { args, app, operator, print, stdin } = context;
      const name = args.values.get('--name');
      const fields = { email: args.operands[0], ...(name !== undefined && { name }) };
      // The email and name first, with a stand-in password: a mistyped address fails before the password is asked for.
      await validated(RegisterDto, { ...fields, password: 'a stand-in password' });
      const input = await validated(RegisterDto, { ...fields, password: await readSecret('Password', stdin) });
      const { password, name: given } = input;
      const user = await app
        .get(AdminUsersService)
        .createAdmin({ email: input.email ?? fields.email, password, name: given }, operator);
      print(`created admin ${accountLabel(user)} (${user.id})`);
    },
  },
  {
    name: 'users:reset-password',
    usage: USER,
    summary: `Print a one-time password reset link (on APP_URL) to hand to the user; it replaces any link sent before`,
    audits: 'password_reset_requested',
    needs: 'services',
    args: { operands: ['email-or-id'] },
    async run(context) {
      const user = await findUser(context, context.args.operands[0]);
      const link = await context.app.get(PasswordRecoveryService).issueResetLink(user.id, context.operator);
      context.print(link);
    },
  },
  {
    name: 'users:unlock',
    usage: USER,
    summary:
      'Clear the login lockout of an account. Works with REDIS_URL only: without Redis each instance keeps its lockouts in its own memory, out of reach of this process',
    audits: 'account_unlocked',
    needs: 'services',
    args: { operands: ['email-or-id'] },
    async run(context) {
      const user = await findUser(context, context.args.operands[0]);
      const { app, operator, print } = context;
      if (!app.get(RedisFallbackService).configured)
        throw new CliError(
          'REDIS_URL is not set: each instance keeps its login lockouts in its own memory, which this separate process ' +
            'cannot reach. Nothing was cleared; the lockout ends by itself (within LOCKOUT_MAX), or restart the instances',
        );
      const { store, cleared } = await app.get(LoginLockoutService).unlock({ userId: user.id });
      if (store !== 'redis') throw new CliError('Redis did not answer (see REDIS_URL): nothing was cleared');
      await app.get(DataSource).transaction((manager) =>
        app.get(AuditService).record(manager, {
          type: 'account_unlocked',
          userId: user.id,
          detail: { hadFailedAttempts: cleared, ...operator },
        }),
      );
      print(
        cleared
          ? `unlocked ${accountLabel(user)}`
          : `${accountLabel(user)} had no failed login attempts on record: nothing to clear`,
      );
    },
  },
  {
    name: 'users:end-sessions',
    usage: USER,
    summary: 'End every session of the user: its refresh tokens fail at once, its access tokens on their next check',
    audits: 'sessions_ended',
    needs: 'services',
    args: { operands: ['email-or-id'] },
    async run(context) {
      const user = await findUser(context, context.args.operands[0]);
      const ended = await context.app.get(AdminUsersService).endSessions(user.id, context.operator);
      context.print(`ended ${ended} session(s) of ${accountLabel(user)}`);
    },
  },
  {
    name: 'users:disable',
    usage: USER,
    summary: 'Disable the account (no login, refresh or access token works; its sessions and mailed links end)',
    audits: 'account_disabled',
    needs: 'services',
    args: { operands: ['email-or-id'] },
    async run(context) {
      const user = await findUser(context, context.args.operands[0]);
      if (user.disabledAt) return context.print(`${accountLabel(user)} is already disabled`);
      await context.app.get(AdminUsersService).update(user.id, { disabled: true }, context.operator);
      context.print(`disabled ${accountLabel(user)}`);
    },
  },
  {
    name: 'users:enable',
    usage: USER,
    summary: 'Enable a disabled account again',
    audits: 'account_enabled',
    needs: 'services',
    args: { operands: ['email-or-id'] },
    async run(context) {
      const user = await findUser(context, context.args.operands[0]);
      if (!user.disabledAt) return context.print(`${accountLabel(user)} is not disabled`);
      await context.app.get(AdminUsersService).update(user.id, { disabled: false }, context.operator);
      context.print(`enabled ${accountLabel(user)}`);
    },
  },
];
