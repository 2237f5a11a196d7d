// Authentication for a deployed server: Basic (user:password) or Bearer (sky_ service-account
// token), answered from short-lived caches so a request never pays a full slow password hash:
//  - users and tokens are looked up at most once a second per replica (so a role change or a
//    revocation made on another replica applies within a second; on this one, at once);
//  - a password that verified is remembered for a few minutes as a keyed digest of
//    (user, password) under a per-process random key, valid only while the user's stored hash is
//    the one it verified against (a password change ends it everywhere);
//  - concurrent first requests with the same credentials share one verification.
// Failures are limited per (user, peer address) and per peer address, from the socket's address.
import { createHmac, randomBytes } from 'node:crypto'
import { AuthRequiredError } from '../../core/errors'
import type { Store } from '../../core/state/store'
import type { TokenWithUser, UserRecord } from '../../core/state/users'
import { hashPassword, hashToken, looksLikeToken, verifyPassword } from '../../core/users/credentials'
import type { Requester } from '../requests/service'
import { parseAuthorization } from './credentials-header'
import { FailureLimiter } from './rate-limit'

export interface AuthenticatorOptions {
  /** How long a verified password is trusted without re-hashing (default 5 min). */
  verifiedTtlMs?: number
  /** How long a user or token row is reused before it is read again (default 1 s). */
  lookupTtlMs?: number
  /** Failures allowed per user and peer address per minute (default 5). */
  failuresPerUser?: number
  /** Failures allowed per peer address per minute, whatever the user (default 30). */
  failuresPerPeer?: number
}

interface Timed<T> {
  value: T
  until: number
}

const LOGIN_HINT = 'Log in with: sky api login -e http://USER:PASSWORD@HOST:PORT (or --token sky_... for a service account).'
const MAX_CACHE = 20_000

function authError(message: string): AuthRequiredError {
  return new AuthRequiredError(message, { hint: LOGIN_HINT })
}

function rateLimited(seconds: number): AuthRequiredError {
  const e = new AuthRequiredError(`Too many failed logins; try again in ${seconds} s.`, { details: { retry_after: seconds } })
  e.httpStatus = 429
  return e
}

function put<K, V>(m: Map<K, V>, k: K, v: V): void {
  if (m.size >= MAX_CACHE) m.delete(m.keys().next().value as K)
  m.set(k, v)
}

export class Authenticator {
  private secret = randomBytes(32)
  private users = new Map<string, Timed<UserRecord>>()
  private tokens = new Map<string, Timed<TokenWithUser>>()
  private verified = new Map<string, Timed<{ userId: string; passwordHash: string }>>()
  private inflight = new Map<string, Promise<boolean>>()
  private touched = new Map<string, number>()
  private dummyHash: Promise<string> | undefined
  private byUser: FailureLimiter
  private byPeer: FailureLimiter
  private verifiedTtl: number
  private lookupTtl: number

  constructor(
    private store: Store,
    o: AuthenticatorOptions = {},
  ) {
    this.verifiedTtl = o.verifiedTtlMs ?? 300_000
    this.lookupTtl = o.lookupTtlMs ?? 1000
    this.byUser = new FailureLimiter(o.failuresPerUser ?? 5)
    this.byPeer = new FailureLimiter(o.failuresPerPeer ?? 30)
  }

  /** Forget everything cached about a user (their password, role, tokens or existence changed). */
  invalidateUser(userId: string): void {
    for (const [k, v] of this.users) if (v.value.id === userId) this.users.delete(k)
    for (const [k, v] of this.tokens) if (v.value.userId === userId) this.tokens.delete(k)
    for (const [k, v] of this.verified) if (v.value.userId === userId) this.verified.delete(k)
  }

  /** Who sent this request, or throw AuthRequiredError (401, or 429 while rate limited). */
  async authenticate(req: Request, peer: string): Promise<Requester> {
    const presented = parseAuthorization(req.headers.get('authorization'))
    if (!presented) throw authError('This API server requires authentication.')
    if (presented.kind === 'malformed') throw authError(`Malformed Authorization header: ${presented.why}.`)
    if (presented.kind === 'bearer') return this.byToken(presented.token, peer)
    return this.byPassword(presented.name, presented.password, peer)
  }

  private checkLimits(userKey: string, peerKey: string): void {
    const wait = Math.max(this.byUser.retryAfter(userKey), this.byPeer.retryAfter(peerKey))
    if (wait > 0) throw rateLimited(wait)
  }

  private failed(userKey: string, peerKey: string, message: string): never {
    this.byUser.fail(userKey)
    this.byPeer.fail(peerKey)
    throw authError(message)
  }

  private async userNamed(name: string): Promise<UserRecord | undefined> {
    const now = Date.now()
    const hit = this.users.get(name)
    if (hit && hit.until > now) return hit.value
    const u = await this.store.users.byName(name)
    if (u) put(this.users, name, { value: u, until: now + this.lookupTtl })
    else this.users.delete(name)
    return u
  }

  private async byPassword(name: string, password: string, peer: string): Promise<Requester> {
    const userKey = `u:${name}|${peer}`
    const peerKey = `p:${peer}`
    this.checkLimits(userKey, peerKey)
    const user = await this.userNamed(name)
    const digest = createHmac('sha256', this.secret).update(name).update('\0').update(password).digest('base64')
    const now = Date.now()
    const known = this.verified.get(digest)
    if (user?.passwordHash && known && known.until > now && known.value.userId === user.id && known.value.passwordHash === user.passwordHash) {
      return { id: user.id, name: user.name, role: user.role, isAdmin: user.role === 'admin' }
    }
    if (!user || !user.passwordHash) {
      // Spend the same time as a real check, so timing does not tell which users exist.
      await verifyPassword(password, await (this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'))))
      this.failed(userKey, peerKey, 'Invalid user name or password.')
    }
    const hash = user.passwordHash
    const key = `${digest}|${hash}`
    let check = this.inflight.get(key)
    if (!check) {
      check = verifyPassword(password, hash).finally(() => this.inflight.delete(key))
      this.inflight.set(key, check)
    }
    if (!(await check)) this.failed(userKey, peerKey, 'Invalid user name or password.')
    put(this.verified, digest, { value: { userId: user.id, passwordHash: hash }, until: Date.now() + this.verifiedTtl })
    this.byUser.reset(userKey)
    return { id: user.id, name: user.name, role: user.role, isAdmin: user.role === 'admin' }
  }

  private async byToken(token: string, peer: string): Promise<Requester> {
    const userKey = `t|${peer}`
    const peerKey = `p:${peer}`
    this.checkLimits(userKey, peerKey)
    if (!looksLikeToken(token)) this.failed(userKey, peerKey, 'Invalid service-account token.')
    const h = hashToken(token)
    const now = Date.now()
    const hit = this.tokens.get(h)
    let rec = hit && hit.until > now ? hit.value : undefined
    if (!rec) {
      rec = await this.store.users.tokenByHash(h)
      if (rec) put(this.tokens, h, { value: rec, until: now + this.lookupTtl })
    }
    if (!rec) this.failed(userKey, peerKey, 'Invalid service-account token.')
    if (rec.revokedAt !== null) this.failed(userKey, peerKey, `Service-account token ${rec.tokenId} has been revoked.`)
    if (rec.expiresAt !== null && rec.expiresAt <= now) {
      this.failed(userKey, peerKey, `Service-account token ${rec.tokenId} expired on ${new Date(rec.expiresAt).toISOString()}.`)
    }
    const last = this.touched.get(rec.tokenId) ?? rec.lastUsedAt ?? 0
    if (now - last > 60_000) {
      put(this.touched, rec.tokenId, now)
      void this.store.users.touchToken(rec.tokenId, now).catch(() => {})
    }
    return { id: rec.userId, name: rec.userName, role: rec.userRole, isAdmin: rec.userRole === 'admin' }
  }
}
