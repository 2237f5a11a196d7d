// The users and service_account_tokens tables: who may log in to a deployed API server, with
// which role, and the hashed tokens that act for them.
import type { Db, SqlValue } from './db'

export type Role = 'admin' | 'user'
export const ROLES: readonly Role[] = ['admin', 'user']

export interface UserRecord {
  /** Stable 8-hex id (owner of clusters and requests). */
  id: string
  name: string
  role: Role
  /** Slow hash (Bun.password); null for users that log in only with tokens. */
  passwordHash: string | null
  createdAt: number
  updatedAt: number
}

export interface TokenRecord {
  tokenId: string
  tokenName: string
  /** sha256 of the token, hex. The token itself is never stored. */
  tokenHash: string
  userId: string
  creatorUserId: string | null
  createdAt: number
  lastUsedAt: number | null
  expiresAt: number | null
  revokedAt: number | null
}

/** A token with the user it acts for (what authentication needs in one query). */
export interface TokenWithUser extends TokenRecord {
  userName: string
  userRole: Role
}

interface RawUser {
  id: string
  name: string
  role: Role
  password_hash: string | null
  created_at: number | bigint
  updated_at: number | bigint
}

interface RawToken {
  token_id: string
  token_name: string
  token_hash: string
  user_id: string
  creator_user_id: string | null
  created_at: number | bigint
  last_used_at: number | bigint | null
  expires_at: number | bigint | null
  revoked_at: number | bigint | null
  user_name?: string
  user_role?: Role
}

const num = (v: number | bigint | null | undefined): number | null => (v === null || v === undefined ? null : Number(v))

function userOf(r: RawUser): UserRecord {
  return { id: r.id, name: r.name, role: r.role, passwordHash: r.password_hash, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) }
}

function tokenOf(r: RawToken): TokenRecord {
  return {
    tokenId: r.token_id,
    tokenName: r.token_name,
    tokenHash: r.token_hash,
    userId: r.user_id,
    creatorUserId: r.creator_user_id,
    createdAt: Number(r.created_at),
    lastUsedAt: num(r.last_used_at),
    expiresAt: num(r.expires_at),
    revokedAt: num(r.revoked_at),
  }
}

export class UserRepo {
  constructor(private db: Db) {}

  async count(): Promise<number> {
    const r = await this.db.get<{ n: number | bigint }>(`SELECT COUNT(*) AS n FROM users`)
    return Number(r?.n ?? 0)
  }

  async countAdmins(): Promise<number> {
    const r = await this.db.get<{ n: number | bigint }>(`SELECT COUNT(*) AS n FROM users WHERE role = 'admin'`)
    return Number(r?.n ?? 0)
  }

  async get(id: string): Promise<UserRecord | undefined> {
    const r = await this.db.get<RawUser>(`SELECT * FROM users WHERE id = ?`, [id])
    return r ? userOf(r) : undefined
  }

  async byName(name: string): Promise<UserRecord | undefined> {
    const r = await this.db.get<RawUser>(`SELECT * FROM users WHERE name = ?`, [name])
    return r ? userOf(r) : undefined
  }

  async list(): Promise<UserRecord[]> {
    return (await this.db.all<RawUser>(`SELECT * FROM users ORDER BY name`)).map(userOf)
  }

  /** Insert unless the id or name exists; true when inserted. */
  async insert(u: UserRecord): Promise<boolean> {
    const r = await this.db.run(
      `INSERT INTO users (id, name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [u.id, u.name, u.role, u.passwordHash, u.createdAt, u.updatedAt],
    )
    return r.changes > 0
  }

  async setRole(id: string, role: Role): Promise<boolean> {
    return (await this.db.run(`UPDATE users SET role = ?, updated_at = ? WHERE id = ?`, [role, Date.now(), id])).changes > 0
  }

  async setPassword(id: string, hash: string | null): Promise<boolean> {
    return (await this.db.run(`UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, [hash, Date.now(), id])).changes > 0
  }

  /** Delete a user and every token acting for them. */
  async delete(id: string): Promise<boolean> {
    return this.db.tx(async (t) => {
      await t.run(`DELETE FROM service_account_tokens WHERE user_id = ?`, [id])
      return (await t.run(`DELETE FROM users WHERE id = ?`, [id])).changes > 0
    })
  }

  async insertToken(t: TokenRecord): Promise<void> {
    await this.db.run(
      `INSERT INTO service_account_tokens (token_id, token_name, token_hash, user_id, creator_user_id, created_at, last_used_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [t.tokenId, t.tokenName, t.tokenHash, t.userId, t.creatorUserId, t.createdAt, t.lastUsedAt, t.expiresAt, t.revokedAt],
    )
  }

  async tokenByHash(hash: string): Promise<TokenWithUser | undefined> {
    const r = await this.db.get<RawToken>(
      `SELECT t.*, u.name AS user_name, u.role AS user_role FROM service_account_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`,
      [hash],
    )
    return r ? { ...tokenOf(r), userName: r.user_name!, userRole: r.user_role! } : undefined
  }

  async tokenById(id: string): Promise<TokenRecord | undefined> {
    const r = await this.db.get<RawToken>(`SELECT * FROM service_account_tokens WHERE token_id = ?`, [id])
    return r ? tokenOf(r) : undefined
  }

  /** Tokens (of one user, or all), newest first, with their user's name. */
  async listTokens(userId?: string): Promise<(TokenRecord & { userName: string })[]> {
    const params: SqlValue[] = []
    let sql = `SELECT t.*, u.name AS user_name FROM service_account_tokens t LEFT JOIN users u ON u.id = t.user_id`
    if (userId) {
      sql += ` WHERE t.user_id = ?`
      params.push(userId)
    }
    sql += ` ORDER BY t.created_at DESC`
    return (await this.db.all<RawToken>(sql, params)).map((r) => ({ ...tokenOf(r), userName: r.user_name ?? r.user_id }))
  }

  async revokeToken(tokenId: string, at = Date.now()): Promise<boolean> {
    return (await this.db.run(`UPDATE service_account_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL`, [at, tokenId])).changes > 0
  }

  async touchToken(tokenId: string, at = Date.now()): Promise<void> {
    await this.db.run(`UPDATE service_account_tokens SET last_used_at = ? WHERE token_id = ?`, [at, tokenId])
  }
}
