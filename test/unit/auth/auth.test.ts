// The pieces of deployed-server auth that need no server: the Authorization header parser, the
// login throttle, client addresses behind trusted proxies, and the authenticator (caches,
// throttling that never refuses a correct password, tokens checked before any limit) against a
// real SQLite store.
import { afterEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore, type Store } from '../../../src/core/state/store'
import { UserService } from '../../../src/core/users/service'
import { Authenticator } from '../../../src/server/auth/authenticator'
import { parseAuthorization } from '../../../src/server/auth/credentials-header'
import { clientAddress, pathOf, trustedProxies } from '../../../src/server/auth/deploy'
import { LoginThrottle } from '../../../src/server/auth/rate-limit'
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

describe('LoginThrottle', () => {
  const fail = async () => ({ ok: false, value: 'no' })
  const pass = async () => ({ ok: true, value: 'yes' })

  test('delays grow per key after the free failures; other keys are untouched; success forgets', async () => {
    const t = new LoginThrottle({ freeFailures: 2, baseDelayMs: 40, maxDelayMs: 1000 })
    expect([0, 1, 2, 3, 4, 10].map((n) => t.delayAfter(n))).toEqual([0, 0, 40, 80, 160, 1000])
    for (let i = 0; i < 4; i++) await t.run('1.2.3.4|ann', fail)
    expect(t.failures('1.2.3.4|ann')).toBe(4)
    expect(t.watched('1.2.3.4|ann')).toBe(true)
    expect(t.watched('1.2.3.4|bob')).toBe(false)
    expect(t.watched('5.6.7.8|ann')).toBe(false)
    // The correct password on the throttled key waits its turn, then succeeds, and the key is clean.
    const order: string[] = []
    const other = t.run('5.6.7.8|ann', pass).then((v) => order.push(`other:${v}`))
    const owner = t.run('1.2.3.4|ann', pass).then((v) => order.push(`owner:${v}`))
    await Promise.all([other, owner])
    expect(order).toEqual(['other:yes', 'owner:yes'])
    expect(t.watched('1.2.3.4|ann')).toBe(false)
  })

  test('attempts on one key run one at a time, in order', async () => {
    const t = new LoginThrottle({ freeFailures: 0, baseDelayMs: 5 })
    const seen: number[] = []
    let inside = 0
    let most = 0
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        t.run('k', async () => {
          inside++
          most = Math.max(most, inside)
          await Bun.sleep(2)
          seen.push(i)
          inside--
          return { ok: false, value: i }
        }),
      ),
    )
    expect(most).toBe(1)
    expect(seen).toEqual([0, 1, 2, 3, 4, 5])
  })
})

describe('client address', () => {
  const trusted = trustedProxies(['10.0.0.0/8', '::1'])
  test('the socket address unless a trusted proxy forwarded the request', () => {
    expect(clientAddress('203.0.113.9', '1.1.1.1', trusted)).toBe('203.0.113.9')
    expect(clientAddress('10.1.2.3', '198.51.100.7', trusted)).toBe('198.51.100.7')
    // A client cannot pick its address by prepending to the header: the nearest untrusted hop wins.
    expect(clientAddress('10.1.2.3', '6.6.6.6, 198.51.100.7, 10.9.9.9', trusted)).toBe('198.51.100.7')
    expect(clientAddress('::1', '198.51.100.8', trusted)).toBe('198.51.100.8')
    expect(clientAddress('::ffff:10.0.0.1', '198.51.100.9', trusted)).toBe('198.51.100.9')
    expect(clientAddress('10.1.2.3', null, trusted)).toBe('10.1.2.3')
    expect(clientAddress('127.0.0.1', '1.1.1.1', [])).toBe('127.0.0.1')
    expect(() => trustedProxies(['10.0.0.0/40'])).toThrow('trusted_proxies[0]')
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
    const auth = new Authenticator(store, { throttle: { freeFailures: 2, baseDelayMs: 30, maxDelayMs: 200 } })
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

  test('tokens: valid, revoked, expired, unknown; invalid ones never slow a valid one', async () => {
    const { users, root, auth } = await setup()
    const t = await users.createToken(root, { name: 'svc' })
    expect((await auth.authenticate(req(`Bearer ${t.token}`), 'p')).name).toBe('svc')
    await users.revokeToken(root, t.token_id)
    await expect(auth.authenticate(req(`Bearer ${t.token}`), 'p')).rejects.toThrow('revoked')
    const e = await users.createToken(root, { name: 'svc', expires_in_days: 0.00000001 })
    await waitFor(() => Date.now() > e.expires_at! * 1000, { what: 'the token to expire' })
    await expect(auth.authenticate(req(`Bearer ${e.token}`), 'q')).rejects.toThrow('expired')
    for (let i = 0; i < 6; i++) await expect(auth.authenticate(req('Bearer sky_' + 'x'.repeat(43)), 'q')).rejects.toThrow('Invalid service-account token')
    const good = await users.createToken(root, { name: 'svc' })
    expect((await auth.authenticate(req(`Bearer ${good.token}`), 'q')).name).toBe('svc')
    await expect(auth.authenticate(req(), 'q')).rejects.toThrow('requires authentication')
  })

  test('failed logins never lock out a correct one: same address, other users, other addresses', async () => {
    const { users, root, auth } = await setup()
    await users.create(root, { name: 'cat', password: 'right' })
    await users.create(root, { name: 'dan', password: 'dpw' })
    for (let i = 0; i < 6; i++) await expect(auth.authenticate(req(`Basic ${b64('cat:wrong')}`), '9.9.9.9')).rejects.toThrow('Invalid user name or password')
    // 30 failures with random names from the same address do not touch anyone else.
    for (let i = 0; i < 30; i++) await expect(auth.authenticate(req(`Basic ${b64(`ghost${i}:x`)}`), '9.9.9.9')).rejects.toThrow('Invalid')
    expect((await auth.authenticate(req(`Basic ${b64('dan:dpw')}`), '9.9.9.9')).name).toBe('dan')
    expect((await auth.authenticate(req(`Basic ${b64('cat:right')}`), '1.1.1.1')).name).toBe('cat')
    // The owner on the throttled address gets in too (after the wait), and is then unthrottled.
    expect((await auth.authenticate(req(`Basic ${b64('cat:right')}`), '9.9.9.9')).name).toBe('cat')
    expect(auth.throttle.failures('9.9.9.9|cat')).toBe(0)
  })
})
