// The requests table on both backends: migrations, the repository's reads and filters, the
// local server's transitions (markRunning, finish) and the replica queue's (claim under a lease,
// renew, expire, requeue or fail, garbage collection).
import { describe, expect, test } from 'bun:test'
import type { WireError } from '../../../src/core/errors'
import { migrate, migrations } from '../../../src/core/state/migrations'
import type { RequestStatus } from '../../../src/core/state/requests'
import { BACKENDS, newRequest, storeFixture } from './backends'

const err = (message: string): WireError => ({ name: 'InternalError', code: 'INTERNAL', message })

describe.each(BACKENDS)('%s store', (kind) => {
  const fx = storeFixture(kind)

  describe('migrations', () => {
    test('run twice (and again on re-open) without error or change', async () => {
      const loc = await fx.location()
      const s = await fx.open(loc)
      await migrate(s.db)
      await migrate(s.db)
      const again = await fx.open(loc)
      const rows = await again.db.all<{ version: number; name: string }>(`SELECT version, name FROM schema_migrations ORDER BY version`)
      expect(rows.map((r) => Number(r.version))).toEqual(migrations.map((m) => m.version))
      expect(rows.map((r) => r.name)).toEqual(migrations.map((m) => m.name))
      // Every table the repositories use exists and is empty.
      for (const t of ['requests', 'clusters', 'kv', 'users', 'service_account_tokens', 'request_log_chunks']) {
        const r = await again.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t}`)
        expect(Number(r!.n)).toBe(0)
      }
    })

    test('a store opened without migrating sees the migrated schema', async () => {
      const loc = await fx.location()
      await fx.open(loc)
      const plain = await fx.open(loc, { migrate: false })
      await plain.requests.insert(newRequest({ requestId: 'only-one' }))
      expect(await plain.requests.exists('only-one')).toBe(true)
    })
  })

  describe('RequestRepo', () => {
    test('insert and get round-trip every field with plain numbers', async () => {
      const s = await fx.fresh()
      const r = newRequest({ name: 'launch', lane: 'long', clusterName: 'c1', userRole: 'user', body: { task: { run: 'echo "hi"' }, n: [1, 2] } })
      await s.requests.insert(r)
      const got = (await s.requests.get(r.requestId))!
      expect(got).toEqual({
        ...r,
        userRole: 'user',
        result: null,
        error: null,
        statusMsg: null,
        startedAt: null,
        finishedAt: null,
        replicaId: null,
        attempts: 0,
      })
      expect(typeof got.createdAt).toBe('number')
      expect(await s.requests.get('nope')).toBeUndefined()
      expect(await s.requests.exists(r.requestId)).toBe(true)
      expect(await s.requests.exists('nope')).toBe(false)
      // The same id twice is refused.
      await expect(s.requests.insert({ ...r })).rejects.toThrow()
    })

    test('list filters by status, user, cluster, id prefix and limit, newest first', async () => {
      const s = await fx.fresh()
      const a = newRequest({ requestId: 'aaaa0001', userId: 'u1', clusterName: 'c1' })
      const b = newRequest({ requestId: 'aaab0002', userId: 'u2', clusterName: 'c1' })
      const c = newRequest({ requestId: 'bbbb0003', userId: 'u1', clusterName: 'c2' })
      const d = newRequest({ requestId: 'cccc0004', userId: 'u2' })
      for (const r of [a, b, c, d]) await s.requests.insert(r)
      await s.requests.markRunning(b.requestId, null, null)
      await s.requests.finish(c.requestId, 'SUCCEEDED', { ok: 1 }, null)
      const ids = async (f: Parameters<typeof s.requests.list>[0]) => (await s.requests.list(f)).map((r) => r.requestId)
      expect(await ids({})).toEqual(['cccc0004', 'bbbb0003', 'aaab0002', 'aaaa0001'])
      expect(await ids({ statuses: ['PENDING'] })).toEqual(['cccc0004', 'aaaa0001'])
      expect(await ids({ statuses: ['RUNNING', 'SUCCEEDED'] })).toEqual(['bbbb0003', 'aaab0002'])
      expect(await ids({ userId: 'u1' })).toEqual(['bbbb0003', 'aaaa0001'])
      expect(await ids({ clusterName: 'c1' })).toEqual(['aaab0002', 'aaaa0001'])
      expect(await ids({ clusterName: 'c1', statuses: ['PENDING', 'RUNNING'], userId: 'u2' })).toEqual(['aaab0002'])
      expect(await ids({ idPrefixes: ['aaa'] })).toEqual(['aaab0002', 'aaaa0001'])
      expect(await ids({ idPrefixes: ['aaaa', 'cc'] })).toEqual(['cccc0004', 'aaaa0001'])
      expect(await ids({ limit: 3 })).toEqual(['cccc0004', 'bbbb0003', 'aaab0002'])
      // Bodies only when asked for; results always.
      const [light] = await s.requests.list({ idPrefixes: ['bbbb'] })
      expect(light!.body).toBeUndefined()
      expect(light!.result).toEqual({ ok: 1 })
      const [full] = await s.requests.list({ idPrefixes: ['bbbb'], includeBody: true })
      expect(full!.body).toEqual(c.body)
      expect((await s.requests.active()).map((r) => r.requestId)).toEqual(['cccc0004', 'aaab0002', 'aaaa0001'])
    })

    test('idsByPrefix compares bytes: no pattern characters, case matters, limit applies', async () => {
      const s = await fx.fresh()
      for (const id of ['ab12', 'ab13', 'AB14', 'ab_5', 'ab%6', 'ac00', 'a']) await s.requests.insert(newRequest({ requestId: id }))
      expect(await s.requests.idsByPrefix('ab')).toEqual(['ab%6', 'ab12', 'ab13', 'ab_5'])
      expect(await s.requests.idsByPrefix('ab_')).toEqual(['ab_5'])
      expect(await s.requests.idsByPrefix('ab%')).toEqual(['ab%6'])
      expect(await s.requests.idsByPrefix('AB')).toEqual(['AB14'])
      expect(await s.requests.idsByPrefix('a', 2)).toEqual(['a', 'ab%6'])
      expect(await s.requests.idsByPrefix('zz')).toEqual([])
    })

    test('markRunning takes PENDING rows only, once', async () => {
      const s = await fx.fresh()
      const r = newRequest()
      await s.requests.insert(r)
      expect(await s.requests.markRunning(r.requestId, 'rep-1', 123)).toBe(true)
      expect(await s.requests.markRunning(r.requestId, 'rep-2', 456)).toBe(false)
      const got = (await s.requests.get(r.requestId))!
      expect(got.status).toBe('RUNNING')
      expect(got.replicaId).toBe('rep-1')
      expect(got.attempts).toBe(1)
      expect(got.startedAt).toBeGreaterThan(0)
    })

    test('finish records the first final state only; a replica finishes only what it holds', async () => {
      const s = await fx.fresh()
      const r = newRequest()
      await s.requests.insert(r)
      expect(await s.requests.finish(r.requestId, 'CANCELLED', null, err('cancelled'))).toBe(true)
      // A handler finishing later does not overwrite the cancellation.
      expect(await s.requests.finish(r.requestId, 'SUCCEEDED', { late: true }, null)).toBe(false)
      const got = (await s.requests.get(r.requestId))!
      expect(got.status).toBe('CANCELLED')
      expect(got.result).toBeNull()
      expect(got.error).toEqual(err('cancelled'))
      expect(got.finishedAt).toBeGreaterThan(0)

      const q = newRequest()
      await s.requests.insert(q)
      await s.requests.markRunning(q.requestId, 'rep-1', Date.now() + 10_000)
      expect(await s.requests.finish(q.requestId, 'SUCCEEDED', { v: 1 }, null, 'rep-2')).toBe(false)
      expect(await s.requests.finish(q.requestId, 'SUCCEEDED', { v: 1 }, null, 'rep-1')).toBe(true)
      expect(await s.requests.finish(q.requestId, 'FAILED', null, err('x'), 'rep-1')).toBe(false)
      const done = (await s.requests.get(q.requestId))!
      expect(done.status).toBe('SUCCEEDED')
      expect(done.result).toEqual({ v: 1 })
      expect(done.error).toBeNull()
      // An undefined result is stored as null (JSON has no undefined).
      const u = newRequest()
      await s.requests.insert(u)
      expect(await s.requests.finish(u.requestId, 'SUCCEEDED', undefined, null)).toBe(true)
      expect((await s.requests.get(u.requestId))!.result).toBeNull()
    })

    test('claim takes the oldest PENDING rows of one lane under a lease', async () => {
      const s = await fx.fresh()
      const short = [newRequest(), newRequest(), newRequest()]
      const long = newRequest({ lane: 'long' })
      for (const r of [...short, long]) await s.requests.insert(r)
      await s.requests.finish(short[0]!.requestId, 'CANCELLED', null, null)
      const lease = Date.now() + 5000
      const got = await s.requests.claim('short', 'rep-1', lease, 1)
      expect(got.map((r) => r.requestId)).toEqual([short[1]!.requestId])
      expect(got[0]).toMatchObject({ status: 'RUNNING', replicaId: 'rep-1', attempts: 1, body: short[1]!.body })
      const rest = await s.requests.claim('short', 'rep-2', lease, 10)
      expect(rest.map((r) => r.requestId)).toEqual([short[2]!.requestId])
      expect(await s.requests.claim('short', 'rep-2', lease, 10)).toEqual([])
      expect((await s.requests.claim('long', 'rep-2', lease, 10)).map((r) => r.requestId)).toEqual([long.requestId])
    })

    test('concurrent claimers on separate connections each get disjoint rows, every row once', async () => {
      const loc = await fx.location()
      const s = await fx.open(loc)
      const total = 120
      for (let i = 0; i < total; i++) await s.requests.insert(newRequest())
      const replicas = await Promise.all(Array.from({ length: 6 }, () => fx.open(loc, { migrate: false, poolSize: 3 })))
      const taken = await Promise.all(
        replicas.map(async (r, i) => {
          const mine: string[] = []
          for (;;) {
            // Three claim loops per replica, like a replica's lanes and notifications racing.
            const batches = await Promise.all([0, 1, 2].map(() => r.requests.claim('short', `rep-${i}`, Date.now() + 5000, 4)))
            const ids = batches.flat().map((x) => x.requestId)
            if (!ids.length) return mine
            mine.push(...ids)
          }
        }),
      )
      const all = taken.flat()
      expect(all.length).toBe(total)
      expect(new Set(all).size).toBe(total)
      const rows = await s.requests.list({})
      expect(rows.every((r) => r.status === 'RUNNING' && r.attempts === 1)).toBe(true)
      for (const [i, ids] of taken.entries()) {
        for (const id of ids) expect(rows.find((r) => r.requestId === id)!.replicaId).toBe(`rep-${i}`)
      }
    })

    test('renewLeases extends only the replica’s RUNNING rows and lists them', async () => {
      const s = await fx.fresh()
      const [a, b, c] = [newRequest(), newRequest(), newRequest()]
      for (const r of [a, b, c]) await s.requests.insert(r)
      const t0 = Date.now()
      await s.requests.claim('short', 'rep-1', t0 + 100, 2)
      await s.requests.claim('short', 'rep-2', t0 + 100, 1)
      await s.requests.finish(b.requestId, 'SUCCEEDED', null, null, 'rep-1')
      expect(await s.requests.renewLeases('rep-1', t0 + 60_000)).toEqual([a.requestId])
      expect(await s.requests.renewLeases('rep-3', t0 + 60_000)).toEqual([])
      // Only rep-2's row is still due at t0 + 1 s.
      expect((await s.requests.expiredLeases(t0 + 1000)).map((r) => r.requestId)).toEqual([c.requestId])
    })

    test('expiredLeases ignores local rows (no lease), PENDING and final rows', async () => {
      const s = await fx.fresh()
      const [local, pending, done, due, later] = [newRequest(), newRequest(), newRequest(), newRequest(), newRequest()]
      for (const r of [local, pending, done, due, later]) await s.requests.insert(r)
      await s.requests.markRunning(local.requestId, null, null)
      await s.requests.markRunning(done.requestId, 'rep-1', 10)
      await s.requests.finish(done.requestId, 'FAILED', null, err('x'))
      await s.requests.markRunning(due.requestId, 'rep-1', 1000)
      await s.requests.markRunning(later.requestId, 'rep-1', 5000)
      const ids = async (now: number) => (await s.requests.expiredLeases(now)).map((r) => r.requestId)
      expect(await ids(1000)).toEqual([])
      expect(await ids(1001)).toEqual([due.requestId])
      expect(await ids(9999)).toEqual([due.requestId, later.requestId])
      // releaseLeases hands a replica's rows over at once.
      const other = newRequest()
      await s.requests.insert(other)
      await s.requests.markRunning(other.requestId, 'rep-2', Date.now() + 60_000)
      expect(await s.requests.releaseLeases('rep-2')).toBe(1)
      expect(await ids(1)).toEqual([other.requestId])
    })

    test('requeueExpired puts an expired row back to PENDING once; a renewed one stays', async () => {
      const s = await fx.fresh()
      const [a, b] = [newRequest(), newRequest()]
      for (const r of [a, b]) await s.requests.insert(r)
      await s.requests.claim('short', 'rep-1', 1000, 2)
      await s.requests.renewLeases('rep-1', 1000)
      expect(await s.requests.requeueExpired(a.requestId, 2000, 'Re-run: rep-1 stopped.')).toBe(true)
      expect(await s.requests.requeueExpired(a.requestId, 2000, 'again')).toBe(false)
      const back = (await s.requests.get(a.requestId))!
      expect(back).toMatchObject({ status: 'PENDING', replicaId: null, statusMsg: 'Re-run: rep-1 stopped.', attempts: 1 })
      // rep-1 renewed b meanwhile (lease beyond `now`): not taken over.
      await s.requests.renewLeases('rep-1', 5000)
      expect(await s.requests.requeueExpired(b.requestId, 2000, 'x')).toBe(false)
      // The requeued row is claimed again by another replica, counting a second attempt.
      const again = await s.requests.claim('short', 'rep-2', 9000, 5)
      expect(again.map((r) => [r.requestId, r.replicaId, r.attempts])).toEqual([[a.requestId, 'rep-2', 2]])
      // The dead replica can no longer record a result for it.
      expect(await s.requests.finish(a.requestId, 'SUCCEEDED', null, null, 'rep-1')).toBe(false)
    })

    test('failExpired fails an expired row with its reason, keeping the replica that ran it', async () => {
      const s = await fx.fresh()
      const [a, b] = [newRequest(), newRequest()]
      for (const r of [a, b]) await s.requests.insert(r)
      await s.requests.claim('short', 'rep-9', 1000, 1)
      await s.requests.claim('short', 'rep-9', 8000, 1)
      const e = err('replica rep-9 stopped')
      expect(await s.requests.failExpired(b.requestId, 2000, e)).toBe(false)
      expect(await s.requests.failExpired(a.requestId, 2000, e)).toBe(true)
      expect(await s.requests.failExpired(a.requestId, 2000, e)).toBe(false)
      const got = (await s.requests.get(a.requestId))!
      expect(got).toMatchObject({ status: 'FAILED', replicaId: 'rep-9', error: e })
      expect(got.finishedAt).toBeGreaterThan(0)
      expect((await s.requests.expiredLeases(9999)).map((r) => r.requestId)).toEqual([b.requestId])
    })

    test('statuses, setStatusMsg, requeue', async () => {
      const s = await fx.fresh()
      const [a, b] = [newRequest(), newRequest()]
      for (const r of [a, b]) await s.requests.insert(r)
      await s.requests.markRunning(b.requestId, 'rep-1', 5)
      await s.requests.setStatusMsg(a.requestId, 'waiting for a worker')
      expect((await s.requests.get(a.requestId))!.statusMsg).toBe('waiting for a worker')
      await s.requests.requeue(b.requestId, 'Re-run after a restart.')
      const st = await s.requests.statuses([a.requestId, b.requestId, 'gone'])
      expect([...st.entries()].sort()).toEqual([
        [a.requestId, 'PENDING'],
        [b.requestId, 'PENDING'],
      ].sort() as [string, RequestStatus][])
      expect((await s.requests.get(b.requestId))!.replicaId).toBeNull()
      // Many ids at once (more than one batch of placeholders).
      const many = Array.from({ length: 1200 }, (_, i) => `missing-${i}`)
      expect((await s.requests.statuses([...many, a.requestId])).size).toBe(1)
    })

    test('deleteFinishedBefore removes only final rows finished before the cutoff', async () => {
      const s = await fx.fresh()
      const [old1, old2, fresh, running, pending] = [newRequest(), newRequest(), newRequest(), newRequest(), newRequest()]
      for (const r of [old1, old2, fresh, running, pending]) await s.requests.insert(r)
      for (const [r, st] of [
        [old1, 'SUCCEEDED'],
        [old2, 'CANCELLED'],
      ] as const) {
        await s.requests.finish(r.requestId, st, null, null)
        await s.db.run(`UPDATE requests SET finished_at = ? WHERE request_id = ?`, [1000, r.requestId])
      }
      await s.requests.finish(fresh.requestId, 'FAILED', null, err('x'))
      await s.requests.markRunning(running.requestId, null, null)
      const gone = await s.requests.deleteFinishedBefore(Date.now() - 60_000)
      expect(gone.sort()).toEqual([old1.requestId, old2.requestId].sort())
      expect((await s.requests.list({})).map((r) => r.requestId).sort()).toEqual([fresh.requestId, running.requestId, pending.requestId].sort())
      expect(await s.requests.deleteFinishedBefore(Date.now() - 60_000)).toEqual([])
    })
  })
})
