// Credentials: passwords get a slow salted hash (Bun.password, argon2id); service-account tokens
// are 256 random bits, so a fast sha256 is enough to store them safely.
import { createHash, randomBytes } from 'node:crypto'

export const TOKEN_PREFIX = 'sky_'

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: 'argon2id', memoryCost: 19456, timeCost: 2 })
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  try {
    return await Bun.password.verify(password, hash)
  } catch {
    return false
  }
}

/** A new token (shown once) and what is stored of it. */
export function newToken(): { token: string; tokenHash: string; tokenId: string } {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url')
  return { token, tokenHash: hashToken(token), tokenId: randomBytes(5).toString('hex') }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export function looksLikeToken(s: string): boolean {
  return s.startsWith(TOKEN_PREFIX) && s.length > TOKEN_PREFIX.length + 16
}

/** A user's stable 8-hex id: md5 of the name (as SkyPilot derives ids for named users). */
export function userIdFor(name: string): string {
  return createHash('md5').update(name).digest('hex').slice(0, 8)
}

export function randomUserId(): string {
  return randomBytes(4).toString('hex')
}
