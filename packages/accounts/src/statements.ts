import type Database from 'better-sqlite3';

const USER = 'id, username, email, password, is_active, is_superuser, created_at, last_login_at';

/** Every query the accounts store runs. */
const SQL = {
  userById: `SELECT ${USER} FROM users WHERE id = ?`,
  userByName: `SELECT ${USER} FROM users WHERE username = ?`,
  activeUsersByEmail: `SELECT ${USER} FROM users WHERE email = ? AND is_active = 1 ORDER BY id`,
  allUsers: `SELECT ${USER} FROM users ORDER BY username, id`,
  insertUser:
    'INSERT INTO users (username, email, password, is_superuser, created_at) VALUES (?, ?, ?, ?, ?)',
  setPassword: 'UPDATE users SET password = ? WHERE id = ?',
  setActive: 'UPDATE users SET is_active = ? WHERE id = ?',
  setLastLogin: 'UPDATE users SET last_login_at = ? WHERE id = ?',
  insertGroup: 'INSERT INTO groups (name) VALUES (?) ON CONFLICT (name) DO NOTHING',
  groupByName: 'SELECT id FROM groups WHERE name = ?',
  join: 'INSERT INTO memberships (user_id, group_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
  leave:
    'DELETE FROM memberships WHERE user_id = ? AND group_id = (SELECT id FROM groups WHERE name = ?)',
  groupsOf:
    'SELECT g.name FROM groups g JOIN memberships m ON m.group_id = g.id WHERE m.user_id = ? ORDER BY g.name',
  sharesGroup: `SELECT EXISTS (
      SELECT 1 FROM memberships a JOIN memberships b ON a.group_id = b.group_id
      WHERE a.user_id = ? AND b.user_id = ?
    ) AS shared`,
  // The user and everyone sharing a group with them, in one query however many users exist.
  visibleOwners: `SELECT username FROM users WHERE id = ?
    UNION
    SELECT u.username FROM memberships a
      JOIN memberships b ON b.group_id = a.group_id
      JOIN users u ON u.id = b.user_id
    WHERE a.user_id = ?
    ORDER BY username`,
  insertSession:
    'INSERT INTO sessions (token_hash, user_id, created_at, renewed_at, expires_at) VALUES (?, ?, ?, ?, ?)',
  sessionByHash: 'SELECT user_id, renewed_at, expires_at FROM sessions WHERE token_hash = ?',
  renewSession: 'UPDATE sessions SET renewed_at = ?, expires_at = ? WHERE token_hash = ?',
  deleteSession: 'DELETE FROM sessions WHERE token_hash = ?',
  deleteSessionsOf: 'DELETE FROM sessions WHERE user_id = ?',
  deleteExpiredSessions: 'DELETE FROM sessions WHERE expires_at <= ?',
  insertReset:
    'INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
  resetByHash: 'SELECT user_id, expires_at, used_at FROM password_resets WHERE token_hash = ?',
  useReset:
    'UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?',
  deleteAllResetsOf: 'DELETE FROM password_resets WHERE user_id = ?',
  deleteStaleResets: 'DELETE FROM password_resets WHERE expires_at <= ? OR used_at IS NOT NULL',
} as const;

export type Statements = { readonly [name in keyof typeof SQL]: Database.Statement };

/** The queries, prepared once per connection. */
export function prepareStatements(db: Database.Database): Statements {
  return Object.fromEntries(
    Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)]),
  ) as unknown as Statements;
}
