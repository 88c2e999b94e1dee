export enum Role {
  User = 'user',
  Admin = 'admin',
}

export const ALL_ROLES = Object.values(Role);
