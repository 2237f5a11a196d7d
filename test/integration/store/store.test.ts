// The Db surface and the small repositories on both backends: transactions, unique violations,
// clusters, the key-value table, users and service-account tokens. PostgreSQL-only parts
// (migrations racing under the advisory lock, LISTEN/NOTIFY) are at the end.
import { describe, expect, test } from 'bun:test'
import { isUniqueViolation } from '../../../src/core/state/db'
import type { ClusterRecord } from '../../../src/core/state/clusters'
import type { TokenRecord, UserRecord } from '../../../src/core/state/users'
import { waitFor } from '../../harness'
import { BACKENDS, newRequest, storeFixture } from './backends'
import { migrations } from '../../../src/core/state/migrations'

function cluster(name: string, over: Partial<ClusterRecord> = {}): ClusterRecord {
  return {
    name,
    userId: 'u1',
    userName: 'alice',
    status: 'INIT',
    infra: { cloud: 'local', region: 'local' },
    resources: { cpus: 2, accelerators: { L4: 1 } },
    numNodes: 1,
    handle: null,
    autostopMinutes: -1,
    autostopDown: false,
    launchedAt: 1_700_000_000_000,
    lastUse: null,
    lastCommand: null,
    statusUpdatedAt: 1_700_000_000_000,
    clusterHash: 'h-' + name,
    workspace: 'default',
    launched: null,
    nameOnCloud: null,
    statusReason: null,
    ...over,
  }
}

const user = (id: string, name: string, over: Partial<UserRecord> = {}): UserRecord => ({
  id,
  name,
  role: 'user',
  passwordHash: `hash-${name}`,
  createdAt: 1000,
  updatedAt: 1000,
  ...over,
})

const token = (tokenId: string, userId: string, over: Partial<TokenRecord> = {}): TokenRecord => ({
  tokenId,
  tokenName: `name-${tokenId}`,
  tokenHash: `sha-${tokenId}`,
  userId,
  creatorUserId: null,
  createdAt: 2000,
  lastUsedAt: null,
  expiresAt: null,
  revokedAt: null,
  ...over,
})

describe.each(BACKENDS)('%s store', (kind) => {
  const fx = storeFixture(kind)

  describe('Db', () => {
    test('tx commits, rolls back on a throw, and nested tx joins the outer one', async () => {
      const s = await fx.fresh()
      await s.db.tx(async (t) => {
        await t.run(`INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)`, ['a', '1', 1])
        await t.tx((t2) => t2.run(`INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)`, ['b', '2', 1]))
      })
      await expect(
        s.db.tx(async (t) => {
          await t.run(`INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)`, ['c', '3', 1])
          throw new Error('boom')
        }),
      ).rejects.toThrow('boom')
      const keys = (await s.db.all<{ key: string }>(`SELECT key FROM kv ORDER BY key`)).map((r) => r.key)
      expect(keys).toEqual(['a', 'b'])
    })

    test('concurrent transactions on one store: one rolling back does not undo the other', async () => {
      const s = await fx.fresh()
      const ins = (k: string) => `INSERT INTO kv (key, value, updated_at) VALUES ('${k}', '0', 0)`
      const failing = s.db.tx(async (t) => {
        await t.run(ins('x1'))
        // Keep this transaction open a moment so the other one runs meanwhile (not gating an assertion).
        await Bun.sleep(20)
        throw new Error('rolled back')
      })
      const ok = s.db.tx(async (t) => {
        await t.run(ins('y1'))
        await t.run(ins('y2'))
      })
      await expect(failing).rejects.toThrow('rolled back')
      await ok
      const keys = (await s.db.all<{ key: string }>(`SELECT key FROM kv ORDER BY key`)).map((r) => r.key)
      expect(keys).toEqual(['y1', 'y2'])
    })

    test('unique violations are recognised; changes counts rows; booleans are stored as 0/1', async () => {
      const s = await fx.fresh()
      await s.db.run(`INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)`, ['k', '1', 1])
      const e = await s.db.run(`INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)`, ['k', '2', 1]).catch((x) => x)
      expect(isUniqueViolation(e)).toBe(true)
      expect(isUniqueViolation(new Error('other'))).toBe(false)
      expect((await s.db.run(`UPDATE kv SET value = ? WHERE key LIKE ?`, ['3', '%'])).changes).toBe(1)
      expect((await s.db.run(`UPDATE kv SET value = ? WHERE key = ?`, ['3', 'none'])).changes).toBe(0)
      await s.clusters.upsert(cluster('b', { autostopDown: true }))
      const raw = await s.db.get<{ autostop_down: number }>(`SELECT autostop_down FROM clusters WHERE name = ?`, ['b'])
      expect(Number(raw!.autostop_down)).toBe(1)
      expect(await s.db.get(`SELECT * FROM kv WHERE key = ?`, ['none'])).toBeUndefined()
    })
  })

  describe('LockRepo (per-cluster lease locks)', () => {
    test('one owner at a time; the owner re-takes its own lock; an expired lease is taken over; release', async () => {
      const s = await fx.fresh()
      expect(await s.locks.tryAcquire('c1', 'req-a', 'sky.launch', 10_000)).toBe(true)
      expect(await s.locks.tryAcquire('c1', 'req-b', 'sky.down', 10_000)).toBe(false)
      // A request re-run after a crash holds the same id: it gets its lock back at once.
      expect(await s.locks.tryAcquire('c1', 'req-a', 'sky.launch', 10_000)).toBe(true)
      expect(await s.locks.get('c1')).toMatchObject({ owner: 'req-a', purpose: 'sky.launch' })
      expect(await s.locks.tryAcquire('c2', 'req-b', 'sky.down', 10_000)).toBe(true)
      // A holder that died stops renewing: once its lease is over, another takes it.
      expect(await s.locks.tryAcquire('c3', 'dead', 'sky.launch', 1, Date.now() - 10)).toBe(true)
      expect(await s.locks.tryAcquire('c3', 'req-c', 'refresh', 10_000)).toBe(true)
      expect(await s.locks.renew('c3', 'dead', 10_000)).toBe(false)
      expect(await s.locks.renew('c3', 'req-c', 10_000)).toBe(true)
      await s.locks.release('c1', 'req-b') // not its lock: nothing happens
      expect((await s.locks.get('c1'))?.owner).toBe('req-a')
      await s.locks.release('c1', 'req-a')
      expect(await s.locks.get('c1')).toBeUndefined()
      expect(await s.locks.tryAcquire('c1', 'req-b', 'sky.down', 10_000)).toBe(true)
    })

    test('two stores on one database (two replicas) race for one lock: exactly one wins each time', async () => {
      const loc = await fx.location()
      const a = await fx.open(loc)
      const b = await fx.open(loc, { migrate: false })
      for (let i = 0; i < 20; i++) {
        const got = await Promise.all([a.locks.tryAcquire(`r${i}`, 'replica-a', 'launch', 10_000), b.locks.tryAcquire(`r${i}`, 'replica-b', 'launch', 10_000)])
        expect(got.filter(Boolean)).toHaveLength(1)
      }
    })
  })

  describe('ClusterRepo', () => {
    test('upsert inserts then replaces every field; get, list by user, newest first', async () => {
      const s = await fx.fresh()
      const a = cluster('a', { launchedAt: 1_700_000_000_100 })
      const b = cluster('b', { userId: 'u2', userName: 'bob', launchedAt: 1_700_000_000_200 })
      await s.clusters.upsert(a)
      await s.clusters.upsert(b)
      expect(await s.clusters.get('a')).toEqual(a)
      expect(await s.clusters.get('zz')).toBeUndefined()
      const up: ClusterRecord = {
        ...a,
        status: 'UP',
        handle: { ips: ['10.0.0.1'], runtimeDir: '/x' },
        autostopMinutes: 10,
        autostopDown: true,
        lastUse: 1_700_000_001_000,
        lastCommand: 'sky launch -c a',
        numNodes: 2,
        workspace: 'team',
      }
      await s.clusters.upsert(up)
      expect(await s.clusters.get('a')).toEqual(up)
      expect((await s.clusters.list()).map((c) => c.name)).toEqual(['b', 'a'])
      expect((await s.clusters.list({ userId: 'u2' })).map((c) => c.name)).toEqual(['b'])
      expect(await s.clusters.list({ userId: 'u3' })).toEqual([])
    })

    test('setStatus, setAutostop, touch, delete', async () => {
      const s = await fx.fresh()
      await s.clusters.upsert(cluster('a'))
      const before = Date.now()
      await s.clusters.setStatus('a', 'STOPPED')
      await s.clusters.setAutostop('a', 5, true)
      await s.clusters.touch('a')
      const got = (await s.clusters.get('a'))!
      expect(got.status).toBe('STOPPED')
      expect(got.statusUpdatedAt).toBeGreaterThanOrEqual(before)
      expect([got.autostopMinutes, got.autostopDown]).toEqual([5, true])
      expect(got.lastUse).toBeGreaterThanOrEqual(before)
      await s.clusters.setAutostop('a', -1, false)
      expect((await s.clusters.get('a'))!.autostopDown).toBe(false)
      await s.clusters.delete('a')
      expect(await s.clusters.get('a')).toBeUndefined()
      await s.clusters.delete('a')
    })
  })

  describe('KvRepo', () => {
    test('get of a missing key, set, overwrite, JSON values', async () => {
      const s = await fx.fresh()
      expect(await s.kv.get('enabled_infra')).toBeUndefined()
      await s.kv.set('enabled_infra', ['local'])
      expect(await s.kv.get<string[]>('enabled_infra')).toEqual(['local'])
      await s.kv.set('enabled_infra', { local: true, ssh: ['pool a'], n: 1.5, none: null })
      expect(await s.kv.get('enabled_infra')).toEqual({ local: true, ssh: ['pool a'], n: 1.5, none: null })
      await s.kv.set('s', 'text with \'quotes\' and ünïcode')
      expect(await s.kv.get<string>('s')).toBe('text with \'quotes\' and ünïcode')
      expect(Number((await s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM kv`))!.n)).toBe(2)
    })
  })

  describe('UserRepo', () => {
    test('users: insert, unique id and name, lookups, counts, role and password changes', async () => {
      const s = await fx.fresh()
      expect(await s.users.count()).toBe(0)
      expect(await s.users.insert(user('a1', 'alice', { role: 'admin' }))).toBe(true)
      expect(await s.users.insert(user('b2', 'bob', { passwordHash: null }))).toBe(true)
      // The same name under another id, or the same id under another name, is refused.
      expect(await s.users.insert(user('c3', 'alice'))).toBe(false)
      expect(await s.users.insert(user('a1', 'carol'))).toBe(false)
      expect(await s.users.count()).toBe(2)
      expect(await s.users.countAdmins()).toBe(1)
      expect(await s.users.get('a1')).toEqual(user('a1', 'alice', { role: 'admin' }))
      expect(await s.users.byName('bob')).toEqual(user('b2', 'bob', { passwordHash: null }))
      expect(await s.users.byName('carol')).toBeUndefined()
      expect(await s.users.get('zz')).toBeUndefined()
      expect((await s.users.list()).map((u) => u.name)).toEqual(['alice', 'bob'])
      expect(await s.users.setRole('b2', 'admin')).toBe(true)
      expect(await s.users.countAdmins()).toBe(2)
      expect(await s.users.setPassword('b2', 'new-hash')).toBe(true)
      const bob = (await s.users.get('b2'))!
      expect([bob.role, bob.passwordHash]).toEqual(['admin', 'new-hash'])
      expect(bob.updatedAt).toBeGreaterThan(1000)
      expect(await s.users.setRole('zz', 'admin')).toBe(false)
      expect(await s.users.setPassword('zz', null)).toBe(false)
    })

    test('tokens: insert, by hash with the user, by id, list, revoke once, touch', async () => {
      const s = await fx.fresh()
      await s.users.insert(user('a1', 'alice', { role: 'admin' }))
      await s.users.insert(user('b2', 'bob'))
      await s.users.insertToken(token('t1', 'b2', { creatorUserId: 'a1', expiresAt: 9_000_000 }))
      await s.users.insertToken(token('t2', 'b2', { createdAt: 3000 }))
      await s.users.insertToken(token('t3', 'a1', { createdAt: 2500 }))
      // The token hash is unique.
      const dup = await s.users.insertToken(token('t4', 'a1', { tokenHash: 'sha-t1' })).catch((e) => e)
      expect(isUniqueViolation(dup)).toBe(true)
      expect(await s.users.tokenByHash('sha-t1')).toEqual({ ...token('t1', 'b2', { creatorUserId: 'a1', expiresAt: 9_000_000 }), userName: 'bob', userRole: 'user' })
      expect(await s.users.tokenByHash('sha-none')).toBeUndefined()
      expect(await s.users.tokenById('t3')).toEqual(token('t3', 'a1', { createdAt: 2500 }))
      expect((await s.users.listTokens()).map((t) => [t.tokenId, t.userName])).toEqual([
        ['t2', 'bob'],
        ['t3', 'alice'],
        ['t1', 'bob'],
      ])
      expect((await s.users.listTokens('b2')).map((t) => t.tokenId)).toEqual(['t2', 't1'])
      expect(await s.users.revokeToken('t2', 5000)).toBe(true)
      expect(await s.users.revokeToken('t2', 6000)).toBe(false)
      expect((await s.users.tokenById('t2'))!.revokedAt).toBe(5000)
      await s.users.touchToken('t1', 7000)
      expect((await s.users.tokenByHash('sha-t1'))!.lastUsedAt).toBe(7000)
      // A role change shows in the joined lookup.
      await s.users.setRole('b2', 'admin')
      expect((await s.users.tokenByHash('sha-t1'))!.userRole).toBe('admin')
    })

    test('deleting a user deletes their tokens only', async () => {
      const s = await fx.fresh()
      await s.users.insert(user('a1', 'alice'))
      await s.users.insert(user('b2', 'bob'))
      await s.users.insertToken(token('t1', 'a1'))
      await s.users.insertToken(token('t2', 'b2'))
      expect(await s.users.delete('a1')).toBe(true)
      expect(await s.users.delete('a1')).toBe(false)
      expect(await s.users.get('a1')).toBeUndefined()
      expect(await s.users.tokenById('t1')).toBeUndefined()
      expect((await s.users.listTokens()).map((t) => t.tokenId)).toEqual(['t2'])
      // The name is free again.
      expect(await s.users.insert(user('a9', 'alice'))).toBe(true)
    })
  })
})

describe('postgres only', () => {
  const fx = storeFixture('postgres')

  test('replicas migrating at once: one applies each migration, all see the schema', async () => {
    const loc = await fx.location()
    const stores = await Promise.all(Array.from({ length: 5 }, () => fx.open(loc)))
    const rows = await stores[0]!.db.all<{ version: number }>(`SELECT version FROM schema_migrations ORDER BY version`)
    expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version).sort((a, b) => a - b))
    await stores[4]!.requests.insert(newRequest({ requestId: 'seen-everywhere' }))
    for (const s of stores) expect(await s.requests.exists('seen-everywhere')).toBe(true)
  })

  test('LISTEN/NOTIFY reaches another connection; unlisten stops it', async () => {
    const loc = await fx.location()
    const a = await fx.open(loc)
    const b = await fx.open(loc, { migrate: false })
    const got: string[] = []
    const sub = await b.db.listen!('sky_test_channel', (p) => got.push(p))
    await a.db.notify!('sky_test_channel', 'short,long')
    await waitFor(() => got.length > 0, { timeoutMs: 5000, what: 'the note on the listened channel' })
    expect(got).toEqual(['short,long'])
    await sub.unlisten()
    // A note on another channel, sent after, is a barrier: notes reach a session in order.
    const barrier: string[] = []
    const sub2 = await b.db.listen!('sky_test_barrier', (p) => barrier.push(p))
    await a.db.notify!('sky_test_channel', 'after')
    await a.db.notify!('sky_test_barrier', 'done')
    await waitFor(() => barrier.length > 0, { timeoutMs: 5000, what: 'the barrier note' })
    expect(got).toEqual(['short,long'])
    await sub2.unlisten()
  })
})
