import type { Role } from '../../common/request/role.enum.js';
import { User } from './user.entity.js';

/** The columns of a `User` (all but the password hash) for raw SQL that joins the users table as `alias`. */
export function userColumns(alias: string): string {
  return ['id', 'email', 'username', 'name', 'roles', 'email_verified_at', 'disabled_at', 'created_at', 'updated_at']
    .map((column) => `${alias}.${column} AS user_${column}`)
    .join(', ');
}

/** A row with the columns of `userColumns()`. */
export interface UserRow {
  user_id: string;
  user_email: string | null;
  user_username: string | null;
  user_name: string | null;
  user_roles: Role[];
  user_email_verified_at: Date | null;
  user_disabled_at: Date | null;
  user_created_at: Date;
  user_updated_at: Date;
}

export function userFromRow(row: UserRow): User {
  return Object.assign(new User(), {
    id: row.user_id,
    email: row.user_email,
    username: row.user_username,
    name: row.user_name,
    roles: row.user_roles,
    emailVerifiedAt: row.user_email_verified_at,
    disabledAt: row.user_disabled_at,
    createdAt: row.user_created_at,
    updatedAt: row.user_updated_at,
  });
}
