import type { User } from './types.js';

export interface UserRow {
  id: number;
  username: string;
  email: string;
  password: string;
  is_active: number;
  is_superuser: number;
  created_at: number;
  last_login_at: number | null;
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    isActive: row.is_active === 1,
    isSuperuser: row.is_superuser === 1,
    createdAt: new Date(row.created_at),
    lastLoginAt: row.last_login_at === null ? null : new Date(row.last_login_at),
  };
}
