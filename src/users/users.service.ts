import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { isUniqueViolation, violatedConstraint } from '../common/database/pg-errors.js';
import { usernameKey } from '../common/validation/username.js';
import { ApiException } from '../common/errors/api.exception.js';
import { Role } from '../common/request/role.enum.js';
import { User } from './entities/user.entity.js';
import { UserEvents } from './user-events.js';

export interface NewUser {
  email?: string | null;
  /** Already normalised and checked (`IsUsername`). */
  username?: string | null;
  /** Null for an account that no password opens (made by a provider sign-in). */
  passwordHash: string | null;
  name?: string | null;
  roles?: Role[];
  /** The address was proven elsewhere (a provider that vouches for it): verified from the start. */
  emailVerified?: boolean;
}

/** How a login names its account: exactly one of the two. */
export type LoginIdentifier = { email: string } | { username: string };

/** An admin's change to an account; absent fields stay as they are. */
export interface AccountChanges {
  roles?: Role[];
  disabled?: boolean;
  name?: string;
}

const EMAIL_TAKEN = 'Email is already registered';
const USERNAME_TAKEN = 'This username is taken: choose another';

/** A duplicate email or username, told apart by the unique index it broke. */
function duplicateOf(error: unknown): ApiException | undefined {
  if (!isUniqueViolation(error)) return undefined;
  return violatedConstraint(error) === 'UQ_users_username_key'
    ? new ApiException('username_taken', USERNAME_TAKEN)
    : new ApiException('email_taken', EMAIL_TAKEN);
}

/**
 * The one place that reads and writes the users table (raw SQL that joins it takes its columns
 * from `entities/user-row.ts`; the admin list's paged reads are UserListService's). Every write a request could see is
 * announced through UserEvents. A method that takes an `EntityManager` takes it first and runs in the caller's
 * transaction; the others run on their own.
 */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: UserEvents,
  ) {}

  async getById(id: string, manager: EntityManager = this.dataSource.manager): Promise<User> {
    const user = await manager.findOneBy(User, { id });
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email });
  }

  findByUsername(username: string): Promise<User | null> {
    return this.users.findOneBy({ usernameKey: usernameKey(username) });
  }

  /** The reads of the password hash, for checking a password. */
  findByEmailWithPassword(email: string): Promise<User | null> {
    return this.withPassword(this.dataSource.manager).where('user.email = :email', { email }).getOne();
  }

  /** The account a login names, by its email or its username (whatever its case), with the password hash. */
  findForLogin(identifier: LoginIdentifier): Promise<User | null> {
    const query = this.withPassword(this.dataSource.manager);
    return 'email' in identifier
      ? query.where('user.email = :email', { email: identifier.email }).getOne()
      : query.where('user.usernameKey = :key', { key: usernameKey(identifier.username) }).getOne();
  }

  findByIdWithPassword(id: string): Promise<User | null> {
    return this.withPassword(this.dataSource.manager).where('user.id = :id', { id }).getOne();
  }

  async getByIdWithPassword(id: string): Promise<User> {
    const user = await this.findByIdWithPassword(id);
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  /**
   * Locks the user's row inside the caller's transaction. Every flow that spends or issues mailed
   * links takes this lock before touching a token row: one lock order, so none of them deadlock.
   * Null when the user is gone.
   */
  lockById(manager: EntityManager, id: string): Promise<User | null> {
    return manager.findOne(User, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** `lockById` with the password hash, to check that a password confirmed earlier is still the one. */
  lockByIdWithPassword(manager: EntityManager, id: string): Promise<User | null> {
    return this.withPassword(manager).where('user.id = :id', { id }).setLock('pessimistic_write').getOne();
  }

  /** Inserts a user; the unique indexes, not a prior read, decide a duplicate email or username (409). */
  async create(manager: EntityManager, data: NewUser): Promise<User> {
    const { emailVerified, username = null, email = null, ...rest } = data;
    const user = manager.create(User, {
      ...rest,
      email,
      username,
      usernameKey: username === null ? null : usernameKey(username),
      roles: data.roles ?? [Role.User],
      emailVerifiedAt: emailVerified && email !== null ? new Date() : null,
    });
    try {
      return await manager.save(user);
    } catch (error) {
      throw duplicateOf(error) ?? error;
    }
  }

  /**
   * Gives the account a new username (null: none) at once; the old one is free for anyone from this
   * moment. 409 `username_taken` when another account has it, in any case.
   */
  async setUsername(manager: EntityManager, id: string, username: string | null): Promise<void> {
    try {
      await manager.update(User, id, { username, usernameKey: username === null ? null : usernameKey(username) });
    } catch (error) {
      throw duplicateOf(error) ?? error;
    }
    this.events.changed({ userId: id, manager });
  }

  /**
   * Applies an admin's change under the row locks and answers the account before and after. Refuses
   * to take the admin role from, or disable, the last active admin.
   */
  async update(manager: EntityManager, id: string, changes: AccountChanges): Promise<{ before: User; after: User }> {
    const admins = await this.lockActiveAdmins(manager);
    const user = await this.lockExisting(manager, id);
    const before = Object.assign(new User(), user);
    const losesAdmin = changes.roles !== undefined && !changes.roles.includes(Role.Admin);
    if (losesAdmin || changes.disabled === true) this.keepOneAdmin(admins, user);
    if (changes.roles) user.roles = changes.roles;
    if (changes.disabled === true && !user.disabledAt) user.disabledAt = new Date();
    if (changes.disabled === false) user.disabledAt = null;
    if (changes.name !== undefined) user.name = changes.name;
    this.events.changed({ userId: id, manager });
    return { before, after: await manager.save(user) };
  }

  /** Deleting a user deletes its sessions and tokens (foreign key cascade), which ends them at once. */
  async remove(manager: EntityManager, id: string): Promise<void> {
    const admins = await this.lockActiveAdmins(manager);
    const user = await this.lockExisting(manager, id);
    this.keepOneAdmin(admins, user);
    await manager.delete(User, { id });
    this.events.changed({ userId: id, manager });
  }

  async setName(manager: EntityManager, id: string, name: string): Promise<void> {
    await manager.update(User, id, { name });
    this.events.changed({ userId: id, manager });
  }

  async setPasswordHash(manager: EntityManager, id: string, passwordHash: string): Promise<void> {
    await manager.update(User, id, { passwordHash });
  }

  /** Swaps the hash only if it is still `expected`; false when something else replaced it first. */
  async replacePasswordHash(id: string, expected: string, passwordHash: string): Promise<boolean> {
    const result = await this.users.update({ id, passwordHash: expected }, { passwordHash });
    return (result.affected ?? 0) > 0;
  }

  async markEmailVerified(manager: EntityManager, id: string): Promise<void> {
    await manager.update(User, id, { emailVerifiedAt: () => 'COALESCE(email_verified_at, now())' });
    this.events.changed({ userId: id, manager });
  }

  /** Switches to an address just proven by a mailed link, so it counts as verified. */
  async changeEmail(manager: EntityManager, id: string, email: string): Promise<void> {
    try {
      await manager.update(User, id, { email, emailVerifiedAt: new Date() });
      this.events.changed({ userId: id, manager });
    } catch (error) {
      throw duplicateOf(error) ?? error;
    }
  }

  async addRole(user: User, role: Role): Promise<User> {
    if (user.roles.includes(role)) return user;
    user.roles = [...user.roles, role];
    const saved = await this.users.save(user);
    this.events.changed({ userId: user.id });
    return saved;
  }

  private withPassword(manager: EntityManager) {
    return manager.createQueryBuilder(User, 'user').addSelect('user.passwordHash');
  }

  private async lockExisting(manager: EntityManager, id: string): Promise<User> {
    const user = await this.lockById(manager, id);
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  /**
   * Locks every active admin's row, always in id order and before the target's, so that concurrent
   * admin changes wait for each other instead of deadlocking.
   */
  private async lockActiveAdmins(manager: EntityManager): Promise<string[]> {
    const admins = await manager
      .createQueryBuilder(User, 'user')
      .select('user.id')
      .where(':admin = ANY(user.roles)', { admin: Role.Admin })
      .andWhere('user.disabledAt IS NULL')
      .orderBy('user.id')
      .setLock('pessimistic_write')
      .getMany();
    return admins.map((admin) => admin.id);
  }

  /** Refuses to take the last active admin away, so the service never loses its administrator. */
  private keepOneAdmin(activeAdmins: string[], user: User): void {
    if (!activeAdmins.includes(user.id)) return;
    if (activeAdmins.length <= 1)
      throw new ApiException(
        'last_admin',
        'This is the last active admin: it cannot lose the admin role, be disabled or be deleted',
      );
  }
}
