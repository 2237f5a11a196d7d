// Managing users and service-account tokens, with the access rules: admins manage everyone; a
// user may list, create and revoke only their own tokens. Listeners hear about every change to a
// user's credentials or role, so authentication caches drop what they knew at once.
import { seconds, type Token, type User } from '../../api/wire'
import { isAdmin } from '../access'
import { ConflictError, NotFoundError, PermissionDeniedError } from '../errors'
import { isUniqueViolation } from '../state/db'
import type { Store } from '../state/store'
import type { Role, TokenRecord, UserRecord } from '../state/users'
import { hashPassword, hashToken, looksLikeToken, newToken, randomUserId, userIdFor } from './credentials'
import { checkExpiryDays, checkPassword, checkRole, checkUserName, parseInitialAdmin } from './validate'

export interface UserActor {
  id: string
  name: string
  role?: string
}

/** A user and a token as the API shows them (src/api/wire.ts: times in seconds, never a hash). */
export type UserView = User
export type TokenView = Token

export const viewUser = (u: UserRecord): UserView => ({ id: u.id, name: u.name, role: u.role, has_password: !!u.passwordHash, created_at: seconds(u.createdAt) })

export function viewToken(t: TokenRecord & { userName: string }, now = Date.now()): TokenView {
  return {
    token_id: t.tokenId,
    token_name: t.tokenName,
    user_id: t.userId,
    user_name: t.userName,
    created_at: seconds(t.createdAt),
    last_used_at: seconds(t.lastUsedAt),
    expires_at: seconds(t.expiresAt),
    revoked_at: seconds(t.revokedAt),
    status: t.revokedAt !== null ? 'revoked' : t.expiresAt !== null && t.expiresAt <= now ? 'expired' : 'active',
  }
}


function requireAdmin(a: UserActor, what: string): void {
  if (!isAdmin(a)) throw new PermissionDeniedError(`Only admins may ${what}; you are '${a.name}' (role ${a.role ?? 'user'}).`)
}

export class UserService {
  private listeners: ((userId: string) => void)[] = []

  constructor(private store: Store) {}

  /** Call fn with the user's id whenever their password, role, tokens or existence change. */
  onChange(fn: (userId: string) => void): void {
    this.listeners.push(fn)
  }

  private changed(userId: string): void {
    for (const fn of this.listeners) fn(userId)
  }

  /** Create the first admin from `name:password`, only while no user exists. True if created. */
  async ensureInitialAdmin(spec: string | undefined): Promise<boolean> {
    if (!spec) return false
    const { name, password } = parseInitialAdmin(spec)
    if ((await this.store.users.count()) > 0) return false
    try {
      return await this.insertUser(name, 'admin', await hashPassword(password))
    } catch (e) {
      // Another replica made the first admin at the same moment.
      if (isUniqueViolation(e)) return false
      throw e
    }
  }

  private async insertUser(name: string, role: Role, passwordHash: string | null): Promise<boolean> {
    const now = Date.now()
    // md5-derived ids can collide (8 hex digits); then a random id is used instead.
    for (const id of [userIdFor(name), randomUserId(), randomUserId()]) {
      if (await this.store.users.get(id)) continue
      return this.store.users.insert({ id, name, role, passwordHash, createdAt: now, updatedAt: now })
    }
    return false
  }

  private async mustGet(name: string): Promise<UserRecord> {
    const u = await this.store.users.byName(name)
    if (!u) throw new NotFoundError(`User '${name}' not found.`, { hint: 'List users with: sky users list' })
    return u
  }

  async list(actor: UserActor): Promise<UserView[]> {
    requireAdmin(actor, 'list users')
    return (await this.store.users.list()).map(viewUser)
  }

  async create(actor: UserActor, o: { name: unknown; password?: unknown; role?: unknown }): Promise<UserView> {
    requireAdmin(actor, 'create users')
    const name = checkUserName(o.name)
    const role = o.role === undefined || o.role === null ? 'user' : checkRole(o.role)
    const hash = o.password === undefined || o.password === null ? null : await hashPassword(checkPassword(o.password))
    if (await this.store.users.byName(name)) throw new ConflictError(`User '${name}' already exists.`)
    let ok: boolean
    try {
      ok = await this.insertUser(name, role, hash)
    } catch (e) {
      if (isUniqueViolation(e)) ok = false
      else throw e
    }
    if (!ok) throw new ConflictError(`User '${name}' already exists.`)
    return viewUser((await this.store.users.byName(name))!)
  }

  async delete(actor: UserActor, name: string): Promise<void> {
    requireAdmin(actor, 'delete users')
    const u = await this.mustGet(name)
    if (u.role === 'admin' && (await this.store.users.countAdmins()) <= 1) {
      throw new ConflictError(`'${name}' is the last admin; make another user admin first (sky users role NAME admin).`)
    }
    await this.store.users.delete(u.id)
    this.changed(u.id)
  }

  async setRole(actor: UserActor, name: string, role: unknown): Promise<UserView> {
    requireAdmin(actor, 'change roles')
    const r = checkRole(role)
    const u = await this.mustGet(name)
    if (u.role === 'admin' && r !== 'admin' && (await this.store.users.countAdmins()) <= 1) {
      throw new ConflictError(`'${name}' is the last admin; make another user admin first.`)
    }
    await this.store.users.setRole(u.id, r)
    this.changed(u.id)
    return viewUser({ ...u, role: r })
  }

  /** Admins set anyone's password; a user their own. */
  async setPassword(actor: UserActor, name: string, password: unknown): Promise<void> {
    const u = await this.mustGet(name)
    if (!isAdmin(actor) && actor.id !== u.id) throw new PermissionDeniedError(`Only admins may change another user's password.`)
    await this.store.users.setPassword(u.id, await hashPassword(checkPassword(password)))
    this.changed(u.id)
  }

  /**
   * A new token acting for user `name` (default: the caller). An admin naming a user that does
   * not exist creates it as a token-only service account. The token is returned once.
   */
  async createToken(actor: UserActor, o: { name?: unknown; token_name?: unknown; expires_in_days?: unknown }): Promise<TokenView & { token: string }> {
    const name = o.name === undefined || o.name === null || o.name === '' ? actor.name : checkUserName(o.name)
    const days = checkExpiryDays(o.expires_in_days)
    let u = await this.store.users.byName(name)
    if (!isAdmin(actor) && u?.id !== actor.id) throw new PermissionDeniedError(`Only admins may create tokens for other users.`)
    if (!u) {
      await this.insertUser(name, 'user', null)
      u = await this.mustGet(name)
    }
    const { token, tokenHash, tokenId } = newToken()
    const now = Date.now()
    const rec: TokenRecord = {
      tokenId,
      tokenName: typeof o.token_name === 'string' && o.token_name ? o.token_name.slice(0, 100) : `${name}-token`,
      tokenHash,
      userId: u.id,
      creatorUserId: actor.id,
      createdAt: now,
      lastUsedAt: null,
      expiresAt: days === undefined ? null : now + Math.round(days * 86_400_000),
      revokedAt: null,
    }
    await this.store.users.insertToken(rec)
    return { ...viewToken({ ...rec, userName: u.name }, now), token }
  }

  async listTokens(actor: UserActor, name?: string): Promise<TokenView[]> {
    let userId: string | undefined
    if (name) {
      const u = await this.mustGet(name)
      if (!isAdmin(actor) && u.id !== actor.id) throw new PermissionDeniedError(`Only admins may list other users' tokens.`)
      userId = u.id
    } else if (!isAdmin(actor)) userId = actor.id
    const now = Date.now()
    return (await this.store.users.listTokens(userId)).map((t) => viewToken(t, now))
  }

  /** Revoke by the token itself (sky_...) or by its id. */
  async revokeToken(actor: UserActor, tokenOrId: string): Promise<TokenView> {
    const s = tokenOrId.trim()
    const rec = looksLikeToken(s) ? await this.store.users.tokenByHash(hashToken(s)) : await this.store.users.tokenById(s)
    if (!rec) throw new NotFoundError(`No service-account token '${looksLikeToken(s) ? s.slice(0, 8) + '...' : s}'.`, { hint: 'List tokens with: sky users token list' })
    if (!isAdmin(actor) && rec.userId !== actor.id) throw new PermissionDeniedError(`Only admins may revoke other users' tokens.`)
    if (rec.revokedAt === null) await this.store.users.revokeToken(rec.tokenId)
    this.changed(rec.userId)
    const owner = await this.store.users.get(rec.userId)
    return viewToken({ ...rec, revokedAt: rec.revokedAt ?? Date.now(), userName: owner?.name ?? rec.userId })
  }
}
