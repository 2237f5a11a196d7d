// Authentication for a deployed server: Basic (user:password) or Bearer (sky_ service-account
// token), answered from short-lived caches so a request never pays a full slow password hash:
//  - users and tokens are looked up at most once a second per replica (so a role change or a
//    revocation made on another replica applies within a second; on this one, at once);
//  - a password that verified is remembered for a few minutes as a keyed digest of
//    (user, password) under a per-process random key, valid only while the user's stored hash is
//    the one it verified against (a password change ends it everywhere);
//  - concurrent first requests with the same credentials share one verification.
// Tokens are checked by their hash before anything else: a valid token is never slowed or
// refused. Password attempts are throttled per (client address, user) with growing delays
// (rate-limit.ts) that never refuse a correct password because of someone else's failures; only
// credentials already proven correct skip the queue, so the cache answers no guesses.
import { createHmac, randomBytes } from 'node:crypto'
import { AuthRequiredError } from '../../core/errors'
import type { Store } from '../../core/state/store'
import type { TokenWithUser, UserRecord } from '../../core/state/users'
import { hashPassword, hashToken, looksLikeToken, verifyPassword } from '../../core/users/credentials'
import type { Requester } from '../requests/service'
import { parseAuthorization } from './credentials-header'
import { LoginThrottle, Semaphore, ThrottledError, type ThrottleOptions } from './rate-limit'

export interface AuthenticatorOptions {
  /** How long a verified password is trusted without re-hashing (default 5 min). */
  verifiedTtlMs?: number
  /** How long a user or token row is reused before it is read again (default 1 s). */
  lookupTtlMs?: number
  /** Login throttling per (client address, user). */
  throttle?: ThrottleOptions
  /** Slow password hashes verified at once (default 4). */
  concurrentHashes?: number
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
  const e = new AuthRequiredError(`Too many login attempts for this user from this address are waiting; try again in ${seconds} s.`, { details: { retry_after: seconds } })
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
  readonly throttle: LoginThrottle
  private hashing: Semaphore
  /** Invalid tokens per client address (each answer waits a little longer, never a valid token). */
  private badTokens = new Map<string, { n: number; at: number }>()
  private verifiedTtl: number
  private lookupTtl: number

  constructor(
    private store: Store,
    o: AuthenticatorOptions = {},
  ) {
    this.verifiedTtl = o.verifiedTtlMs ?? 300_000
    this.lookupTtl = o.lookupTtlMs ?? 1000
    this.throttle = new LoginThrottle(o.throttle)
    this.hashing = new Semaphore(o.concurrentHashes ?? 4)
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

  private async userNamed(name: string): Promise<UserRecord | undefined> {
    const now = Date.now()
    const hit = this.users.get(name)
    if (hit && hit.until > now) return hit.value
    const u = await this.store.users.byName(name)
    if (u) put(this.users, name, { value: u, until: now + this.lookupTtl })
    else this.users.delete(name)
    return u
  }

  private verify(password: string, hash: string): Promise<boolean> {
    return this.hashing.use(() => verifyPassword(password, hash))
  }

  private async byPassword(name: string, password: string, peer: string): Promise<Requester> {
    const key = `${peer}|${name}`
    const digest = createHmac('sha256', this.secret).update(name).update('\0').update(password).digest('base64')
    // Fast path: credentials already proven correct, on a key with no failures or attempts in
    // flight. Checked before any await so a burst of guesses cannot all take it.
    if (!this.throttle.watched(key) && this.verified.has(digest)) {
      const who = await this.fromCache(name, digest)
      if (who) return who
    }
    try {
      return await this.throttle.run(key, async () => {
        const who = await this.check(name, password, digest)
        return { ok: who !== undefined, value: who }
      }).then((who) => who ?? this.refuse('Invalid user name or password.'))
    } catch (e) {
      if (e instanceof ThrottledError) throw rateLimited(e.retryAfterSeconds)
      throw e
    }
  }

  private refuse(message: string): never {
    throw authError(message)
  }

  private async fromCache(name: string, digest: string): Promise<Requester | undefined> {
    const known = this.verified.get(digest)
    if (!known || known.until <= Date.now()) return undefined
    const user = await this.userNamed(name)
    if (!user?.passwordHash || known.value.userId !== user.id || known.value.passwordHash !== user.passwordHash) return undefined
    return { id: user.id, name: user.name, role: user.role, isAdmin: user.role === 'admin' }
  }

  /** A full check (cache, else the slow hash); undefined when the credentials are wrong. */
  private async check(name: string, password: string, digest: string): Promise<Requester | undefined> {
    const cached = await this.fromCache(name, digest)
    if (cached) return cached
    const user = await this.userNamed(name)
    if (!user || !user.passwordHash) {
      // Spend the same time as a real check, so timing does not tell which users exist.
      await this.verify(password, await (this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'))))
      return undefined
    }
    const hash = user.passwordHash
    const key = `${digest}|${hash}`
    let check = this.inflight.get(key)
    if (!check) {
      check = this.verify(password, hash).finally(() => this.inflight.delete(key))
      this.inflight.set(key, check)
    }
    if (!(await check)) return undefined
    put(this.verified, digest, { value: { userId: user.id, passwordHash: hash }, until: Date.now() + this.verifiedTtl })
    return { id: user.id, name: user.name, role: user.role, isAdmin: user.role === 'admin' }
  }

  /** An invalid token: the answer waits 0.1 s per recent failure from the address (at most 2 s). */
  private async badToken(peer: string, message: string): Promise<never> {
    const now = Date.now()
    const rec = this.badTokens.get(peer)
    const n = rec && now - rec.at < 60_000 ? rec.n + 1 : 1
    if (this.badTokens.size > 50_000) this.badTokens.clear()
    this.badTokens.set(peer, { n, at: now })
    if (n > 3) await Bun.sleep(Math.min(2000, 100 * (n - 3)))
    throw authError(message)
  }

  private async byToken(token: string, peer: string): Promise<Requester> {
    if (!looksLikeToken(token)) return this.badToken(peer, 'Invalid service-account token.')
    const h = hashToken(token)
    const now = Date.now()
    const hit = this.tokens.get(h)
    let rec = hit && hit.until > now ? hit.value : undefined
    if (!rec) {
      rec = await this.store.users.tokenByHash(h)
      if (rec) put(this.tokens, h, { value: rec, until: now + this.lookupTtl })
    }
    if (!rec) return this.badToken(peer, 'Invalid service-account token.')
    if (rec.revokedAt !== null) return this.badToken(peer, `Service-account token ${rec.tokenId} has been revoked.`)
    if (rec.expiresAt !== null && rec.expiresAt <= now) {
      return this.badToken(peer, `Service-account token ${rec.tokenId} expired on ${new Date(rec.expiresAt).toISOString()}.`)
    }
    const last = this.touched.get(rec.tokenId) ?? rec.lastUsedAt ?? 0
    if (now - last > 60_000) {
      put(this.touched, rec.tokenId, now)
      void this.store.users.touchToken(rec.tokenId, now).catch(() => {})
    }
    return { id: rec.userId, name: rec.userName, role: rec.userRole, isAdmin: rec.userRole === 'admin' }
  }
}
