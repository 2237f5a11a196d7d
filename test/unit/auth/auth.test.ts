// The pieces of deployed-server auth that need no server: the Authorization header parser, the
// failure limiter, and the authenticator's caches against a real SQLite store.
import { afterEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore, type Store } from '../../../src/core/state/store'
import { UserService } from '../../../src/core/users/service'
import { Authenticator } from '../../../src/server/auth/authenticator'
import { parseAuthorization } from '../../../src/server/auth/credentials-header'
import { pathOf } from '../../../src/server/auth/deploy'
import { FailureLimiter } from '../../../src/server/auth/rate-limit'
import { waitFor } from '../../harness'

const b64 = (s: string) => Buffer.from(s).toString('base64')
const req = (auth?: string) => new Request('http://x/api/status', { headers: auth ? { authorization: auth } : {} })

describe('Authorization header', () => {
  test.each([
    [null, undefined],
    [`Basic ${b64('alice:pw:with:colons')}`, { kind: 'basic', name: 'alice', password: 'pw:with:colons' }],
    [`basic ${b64('bob:')}`, { kind: 'basic', name: 'bob', password: '' }],
    ['Bearer sky_abc', { kind: 'bearer', token: 'sky_abc' }],
    ['Bearer ', { kind: 'malformed', why: 'empty bearer token' }],
    [`Basic ${b64('nocolon')}`, { kind: 'malformed', why: 'basic credentials must be user:password' }],
    ['Digest abc', { kind: 'malformed', why: "unsupported authorization scheme 'digest'" }],
  ])('%p', (header, want) => {
    expect(parseAuthorization(header as string | null)).toEqual(want as never)
  })

  test('pathOf ignores the query and host', () => {
    expect(pathOf('http://h:1/api/health?x=1')).toBe('/api/health')
    expect(pathOf('http://h:1')).toBe('/')
  })
})

describe('FailureLimiter', () => {
  test('allows `limit` failures per window, then asks to wait until the oldest leaves', () => {
    const l = new FailureLimiter(3, 60_000)
    const t0 = 1_000_000
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfter('k', t0 + i)).toBe(0)
      l.fail('k', t0 + i)
    }
    expect(l.retryAfter('k', t0 + 10)).toBe(60)
    expect(l.retryAfter('other', t0 + 10)).toBe(0)
    expect(l.retryAfter('k', t0 + 60_001)).toBe(0)
    l.reset('k')
    expect(l.retryAfter('k', t0 + 20)).toBe(0)
  })
})

describe('Authenticator', () => {
  let dir: string
  let store: Store
  afterEach(async () => {
    await store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  async function setup() {
    dir = mkdtempSync(join(tmpdir(), 'sky-auth-'))
    store = await openStore({ kind: 'sqlite', path: join(dir, 'state.db') })
    const users = new UserService(store)
    await users.ensureInitialAdmin('root:rootpw')
    const root = { id: (await store.users.byName('root'))!.id, name: 'root', role: 'admin' }
    const auth = new Authenticator(store, { failuresPerUser: 3 })
    users.onChange((id) => auth.invalidateUser(id))
    return { users, root, auth }
  }

  test('password: verified once, then cached; a change ends the cache at once', async () => {
    const { users, root, auth } = await setup()
    await users.create(root, { name: 'ann', password: 'one' })
    expect((await auth.authenticate(req(`Basic ${b64('ann:one')}`), 'p1')).name).toBe('ann')
    // Cached logins are measured in scripts/bench/team.ts; here, that they keep working.
    for (let i = 0; i < 5; i++) expect((await auth.authenticate(req(`Basic ${b64('ann:one')}`), 'p1')).name).toBe('ann')
    await users.setPassword(root, 'ann', 'two')
    await expect(auth.authenticate(req(`Basic ${b64('ann:one')}`), 'p1')).rejects.toThrow('Invalid user name or password')
    expect((await auth.authenticate(req(`Basic ${b64('ann:two')}`), 'p1')).name).toBe('ann')
  })

  test('role changes apply to the next request', async () => {
    const { users, root, auth } = await setup()
    await users.create(root, { name: 'ben', password: 'pw' })
    expect((await auth.authenticate(req(`Basic ${b64('ben:pw')}`), 'p')).isAdmin).toBe(false)
    await users.setRole(root, 'ben', 'admin')
    expect((await auth.authenticate(req(`Basic ${b64('ben:pw')}`), 'p')).isAdmin).toBe(true)
  })

  test('tokens: valid, revoked, expired, unknown; failures rate limited per peer', async () => {
    const { users, root, auth } = await setup()
    const t = await users.createToken(root, { name: 'svc' })
    expect((await auth.authenticate(req(`Bearer ${t.token}`), 'p')).name).toBe('svc')
    await users.revokeToken(root, t.token_id)
    await expect(auth.authenticate(req(`Bearer ${t.token}`), 'p')).rejects.toThrow('revoked')
    const e = await users.createToken(root, { name: 'svc', expires_in_days: 0.00000001 })
    await waitFor(() => Date.now() > e.expires_at! * 1000, { what: 'the token to expire' })
    await expect(auth.authenticate(req(`Bearer ${e.token}`), 'q')).rejects.toThrow('expired')
    await expect(auth.authenticate(req('Bearer sky_' + 'x'.repeat(43)), 'q')).rejects.toThrow('Invalid service-account token')
    // q has failed 2 token logins; the third failure hits the limit of 3.
    await expect(auth.authenticate(req('Bearer sky_' + 'y'.repeat(43)), 'q')).rejects.toThrow('Invalid')
    await expect(auth.authenticate(req(`Bearer ${e.token}`), 'q')).rejects.toThrow('Too many failed logins')
    await expect(auth.authenticate(req(), 'q')).rejects.toThrow('requires authentication')
  })
})
