// Endpoint tokens for `service.auth`: random bearer tokens shown once at creation and stored only
// as SHA-256 hashes (tokens are 256-bit random, so a fast hash is enough; no salt needed). The
// load balancer holds the hashes and checks `Authorization: Bearer <token>`.
import { randomBytes } from 'node:crypto'

export const TOKEN_PREFIX = 'sky_svc_'

export interface NewToken {
  /** The secret, shown to the user once. */
  token: string
  /** What is stored and given to the load balancer. */
  hash: string
  /** A short, non-secret handle for listings (`sky_svc_abcd…`). */
  hint: string
}

export function hashToken(token: string): string {
  return new Bun.CryptoHasher('sha256').update(token).digest('hex')
}

export function createToken(): NewToken {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url')
  return { token, hash: hashToken(token), hint: `${token.slice(0, TOKEN_PREFIX.length + 4)}…` }
}

/** `Bearer <token>` → token, case-insensitive scheme; undefined for anything else. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined
  const m = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization)
  return m?.[1]
}

/** Checks bearer tokens against a set of hashes; remembers recent answers so a hot token costs a lookup. */
export class TokenChecker {
  private hashes: Set<string>
  private cache = new Map<string, boolean>()

  constructor(hashes: Iterable<string>) {
    this.hashes = new Set(hashes)
  }

  set(hashes: Iterable<string>): void {
    this.hashes = new Set(hashes)
    this.cache.clear()
  }

  check(authorization: string | undefined): boolean {
    const token = bearerToken(authorization)
    if (!token || token.length > 512) return false
    const known = this.cache.get(token)
    if (known !== undefined) return known
    // Looking up the hash (not the token) leaks nothing useful through timing.
    const ok = this.hashes.has(hashToken(token))
    if (this.cache.size > 1024) this.cache.clear()
    this.cache.set(token, ok)
    return ok
  }
}
