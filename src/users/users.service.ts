import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { isUniqueViolation } from '../database/pg-errors.js';
import { User } from './entities/user.entity.js';
import type { ListUsersQueryDto } from './dto/list-users-query.dto.js';
import type { UpdateUserDto } from './dto/update-user.dto.js';
import { Role } from './role.enum.js';

export interface NewUser {
  email: string;
  passwordHash: string;
  name?: string | null;
  roles?: Role[];
}

/** The one place that reads and writes the users table. */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  async getById(id: string): Promise<User> {
    const user = await this.findById(id);
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email });
  }

  /** The only read of the password hash: for checking a password. */
  findByEmailWithPassword(email: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.email = :email', { email })
      .getOne();
  }

  /** Inserts a user; the unique index, not a prior read, decides a duplicate email (409). */
  async create(data: NewUser, manager: EntityManager = this.dataSource.manager): Promise<User> {
    try {
      return await manager.save(manager.create(User, { ...data, roles: data.roles ?? [Role.User] }));
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException('Email is already registered');
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

  async update(id: string, changes: UpdateUserDto): Promise<User> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.lockUser(manager, id);
      if (changes.roles && !changes.roles.includes(Role.Admin)) {
        await this.keepOneAdmin(manager, user);
      }
      if (changes.roles) user.roles = changes.roles;
      if (changes.name !== undefined) user.name = changes.name;
      return manager.save(user);
    });
  }

  /** Deleting a user deletes its sessions (foreign key cascade), which ends them at once. */
  async remove(id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const user = await this.lockUser(manager, id);
      await this.keepOneAdmin(manager, user);
      await manager.delete(User, { id });
    });
  }

  async addRole(user: User, role: Role): Promise<User> {
    if (user.roles.includes(role)) return user;
    user.roles = [...user.roles, role];
    return this.users.save(user);
  }

  private async lockUser(manager: EntityManager, id: string): Promise<User> {
    const user = await manager.findOne(User, { where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  /** Refuses to take the admin role from the last admin, so the service never loses its administrator. */
  private async keepOneAdmin(manager: EntityManager, user: User): Promise<void> {
    if (!user.roles.includes(Role.Admin)) return;
    const admins = await manager
      .createQueryBuilder(User, 'user')
      .select('user.id')
      .where(':admin = ANY(user.roles)', { admin: Role.Admin })
      .setLock('pessimistic_write')
      .getMany();
    if (admins.length <= 1) throw new ConflictException('The last admin cannot lose the admin role');
  }
}
