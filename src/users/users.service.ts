import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { IdentityCache } from '../auth/identity-cache.js';
import { spendOneTimeTokens } from '../auth/one-time-tokens.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { isUniqueViolation } from '../common/database/pg-errors.js';
import type { ListUsersQueryDto } from './dto/list-users-query.dto.js';
import type { UpdateUserDto } from './dto/update-user.dto.js';
import { User } from './entities/user.entity.js';
import { Role } from '../common/request/role.enum.js';

export interface NewUser {
  email: string;
  passwordHash: string;
  name?: string | null;
  roles?: Role[];
}

/** Who made an admin change, for the audit log. */
export interface Actor {
  id: string;
  client: ClientInfo;
}

const EMAIL_TAKEN = 'Email is already registered';

/** The one place that reads and writes the users table. */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly identities: IdentityCache,
  ) {}

  findById(id: string, manager: EntityManager = this.dataSource.manager): Promise<User | null> {
    return manager.findOneBy(User, { id });
  }

  async getById(id: string): Promise<User> {
    const user = await this.findById(id);
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email });
  }

  /** The only reads of the password hash: for checking a password. */
  findByEmailWithPassword(email: string): Promise<User | null> {
    return this.withPassword().where('user.email = :email', { email }).getOne();
  }

  /** `forUpdate` locks the row: only inside a transaction. Null when the user is gone. */
  findByIdWithPassword(id: string, manager: EntityManager = this.dataSource.manager, forUpdate = false): Promise<User | null> {
    const query = this.withPassword(manager).where('user.id = :id', { id });
    return (forUpdate ? query.setLock('pessimistic_write') : query).getOne();
  }

  /**
   * Locks the user's row inside the caller's transaction. Every flow that spends or issues mailed
   * links takes this lock before touching a token row: one lock order, so none of them deadlock.
   */
  lockById(manager: EntityManager, id: string): Promise<User | null> {
    return manager.findOne(User, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async getByIdWithPassword(id: string, manager: EntityManager = this.dataSource.manager, forUpdate = false): Promise<User> {
    const user = await this.findByIdWithPassword(id, manager, forUpdate);
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  /** Inserts a user; the unique index, not a prior read, decides a duplicate email (409). */
  async create(data: NewUser, manager: EntityManager = this.dataSource.manager): Promise<User> {
    try {
      return await manager.save(manager.create(User, { ...data, roles: data.roles ?? [Role.User] }));
    } catch (error) {
      if (isUniqueViolation(error)) throw new ApiException('email_taken', EMAIL_TAKEN);
      throw error;
    }
  }

  async list({ page, limit, search }: ListUsersQueryDto): Promise<{ items: User[]; total: number }> {
    const query = this.users.createQueryBuilder('user').orderBy('user.createdAt', 'DESC').addOrderBy('user.id');
    if (search) {
      const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query.where('(user.email ILIKE :pattern OR user.name ILIKE :pattern)', { pattern });
    }
    const [items, total] = await query
      .skip((page - 1) * limit)
      .take(limit)
      .getManyAndCount();
    return { items, total };
  }

  /** An admin's change: roles and disabling apply on the user's next request; disabling ends its sessions. */
  async update(id: string, changes: UpdateUserDto, actor: Actor): Promise<User> {
    return this.dataSource.transaction(async (manager) => {
      const admins = await this.lockAdmins(manager);
      const user = await this.lockUser(manager, id);
      // A disabled account's mailed links die with it (a pending email change would otherwise survive).
      if (changes.disabled === true) await spendOneTimeTokens(manager, id, 'verify_email', 'reset_password', 'change_email');
      const losesAdmin = changes.roles !== undefined && !changes.roles.includes(Role.Admin);
      if (losesAdmin || changes.disabled === true) this.keepOneAdmin(admins, user);
      const record = (type: 'roles_changed' | 'account_disabled' | 'account_enabled', detail = {}) =>
        this.audit.record({ type, userId: user.id, client: actor.client, detail: { by: actor.id, ...detail } }, manager);

      if (changes.roles && changes.roles.join() !== user.roles.join()) {
        await record('roles_changed', { from: user.roles, to: changes.roles });
        user.roles = changes.roles;
      }
      if (changes.disabled === true && !user.disabledAt) {
        user.disabledAt = new Date();
        await this.sessions.endAll(manager, user.id, 'account_disabled');
        await record('account_disabled');
      } else if (changes.disabled === false && user.disabledAt) {
        user.disabledAt = null;
        await record('account_enabled');
      }
      if (changes.name !== undefined) user.name = changes.name;
      this.identities.forgetUser(user.id, manager);
      return manager.save(user);
    });
  }

  async setName(id: string, name: string): Promise<User> {
    const user = await this.getById(id);
    user.name = name;
    const saved = await this.users.save(user);
    this.identities.forgetUser(id);
    return saved;
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
    this.identities.forgetUser(id, manager);
  }

  /** Switches to an address just proven by a mailed link, so it counts as verified. */
  async changeEmail(manager: EntityManager, id: string, email: string): Promise<void> {
    try {
      await manager.update(User, id, { email, emailVerifiedAt: new Date() });
      this.identities.forgetUser(id, manager);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ApiException('email_taken', EMAIL_TAKEN);
      throw error;
    }
  }

  /** Deleting a user deletes its sessions and tokens (foreign key cascade), which ends them at once. */
  async remove(id: string, actor: Actor, manager?: EntityManager): Promise<void> {
    const work = async (tx: EntityManager) => {
      const admins = await this.lockAdmins(tx);
      const user = await this.lockUser(tx, id);
      this.keepOneAdmin(admins, user);
      await tx.delete(User, { id });
      this.identities.forgetUser(id, tx);
      const detail: Record<string, string> = actor.id === id ? {} : { by: actor.id };
      await this.audit.record({ type: 'account_deleted', userId: id, client: actor.client, detail }, tx);
    };
    await (manager ? work(manager) : this.dataSource.transaction(work));
  }

  async addRole(user: User, role: Role): Promise<User> {
    if (user.roles.includes(role)) return user;
    user.roles = [...user.roles, role];
    const saved = await this.users.save(user);
    this.identities.forgetUser(user.id);
    return saved;
  }

  private withPassword(manager: EntityManager = this.dataSource.manager) {
    return manager.createQueryBuilder(User, 'user').addSelect('user.passwordHash');
  }

  private async lockUser(manager: EntityManager, id: string): Promise<User> {
    const user = await this.lockById(manager, id);
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  /**
   * Locks every active admin's row, always in id order and before the target's, so that concurrent
   * admin changes wait for each other instead of deadlocking.
   */
  private async lockAdmins(manager: EntityManager): Promise<string[]> {
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
