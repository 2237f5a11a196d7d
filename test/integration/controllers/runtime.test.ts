// The controller runtime with a small kind of its own (counters in the kv table), on SQLite and a
// real PostgreSQL: one reconcile at a time per object, wakes during a run fold into one more run,
// polling and done, the store's leases and fences; and with two runtimes on one database each
// object has one owner, a dead runtime's objects are taken over, and its late writes are refused.
import { describe, expect, test } from 'bun:test'
import { fenceSql } from '../../../src/core/state/leases'
import type { Store } from '../../../src/core/state/store'
import { ControllerRuntime } from '../../../src/server/controllers/runtime'
import type { ControllerKind, ReconcileResult } from '../../../src/server/controllers/types'
import { waitFor } from '../../harness'
import { BACKENDS, storeFixture } from '../store/backends'

interface Toy {
  kind: ControllerKind
  runs: Map<string, number>
  /** Reconciles begun, per key. */
  starts: Map<string, number>
  /** Lease-loop scans begun (each asks activeKeys once): "the runtime had its chance". */
  scans: number
  inFlight: Map<string, number>
  maxInFlight: number
  active: Set<string>
  /** What the next reconcile of a key returns. */
  next: Map<string, ReconcileResult>
  /** Make a reconcile take this long. */
  slowMs: number
}

function toyKind(store: Store, name: string): Toy {
  const t: Toy = { runs: new Map(), starts: new Map(), scans: 0, inFlight: new Map(), maxInFlight: 0, active: new Set(), next: new Map(), slowMs: 0, kind: undefined as never }
  t.kind = {
    kind: 'toys',
    singletons: ['boss'],
    activeKeys: async () => {
      t.scans++
      return [...t.active]
    },
    async reconcile(key, ctx) {
      t.starts.set(key, (t.starts.get(key) ?? 0) + 1)
      const n = (t.inFlight.get(key) ?? 0) + 1
      t.inFlight.set(key, n)
      t.maxInFlight = Math.max(t.maxInFlight, n)
      try {
        if (t.slowMs) await Bun.sleep(t.slowMs)
        t.runs.set(key, (t.runs.get(key) ?? 0) + 1)
        // A fenced write: lands only while this runtime holds the key's lease.
        const f = fenceSql(ctx.fence)
        await store.db.run(`INSERT INTO kv (key, value, updated_at) VALUES (?, '""', 0) ON CONFLICT (key) DO NOTHING`, [`toy-${key}`])
        await store.db.run(`UPDATE kv SET value = ?, updated_at = ? WHERE key = ?${f.sql}`, [JSON.stringify(name), Date.now(), `toy-${key}`, ...f.params])
        return t.next.get(key) ?? {}
      } finally {
        t.inFlight.set(key, (t.inFlight.get(key) ?? 1) - 1)
      }
    },
  }
  return t
}

function runtime(store: Store, id: string, leaseMs = 600): ControllerRuntime {
  return new ControllerRuntime({ store, replicaId: id, leaseMs, exclusive: false, log: () => {} })
}

for (const backend of BACKENDS) {
  describe(`controller runtime (${backend})`, () => {
    const fx = storeFixture(backend)

    test('wakes fold into one more run; requeueAfter polls; done releases the lease', async () => {
      const store = await fx.fresh()
      const toy = toyKind(store, 'a')
      const rt = runtime(store, 'a')
      rt.register(toy.kind)
      toy.active.add('1')
      await rt.start()
      // The first run over (not only counted), so the next wake starts a second one.
      await waitFor(() => toy.runs.get('1') === 1 && toy.inFlight.get('1') === 0 && toy.runs.get('boss') === 1)
      // Five wakes while a slow run is in progress: one more run, never two at once.
      toy.slowMs = 150
      rt.wake('toys', '1')
      await waitFor(() => toy.starts.get('1') === 2)
      for (let i = 0; i < 5; i++) rt.wake('toys', '1')
      await waitFor(() => toy.runs.get('1') === 3, 5000)
      // Two more scans of the lease loop later, no fourth run has begun.
      const scans = toy.scans
      await waitFor(() => toy.scans >= scans + 2, 5000)
      expect(toy.starts.get('1')).toBe(3)
      expect(toy.maxInFlight).toBe(1)
      // Polling: requeueAfterMs brings it back without a wake.
      toy.slowMs = 0
      toy.next.set('1', { requeueAfterMs: 30 })
      rt.wake('toys', '1')
      await waitFor(() => (toy.runs.get('1') ?? 0) >= 7, 5000)
      // Done: the lease is released (the object needs no owner now).
      toy.active.delete('1')
      toy.next.set('1', { done: true })
      await waitFor(async () => !(await store.leases.list('toys')).some((l) => l.key === '1'), 5000)
      expect(rt.owned().toys).toEqual(['boss'])
      await rt.stop()
    })

    test('two runtimes: one owner per object; a dead one is taken over and its writes fenced off', async () => {
      const loc = await fx.location()
      const sa = await fx.open(loc)
      const sb = await fx.open(loc, { migrate: false })
      const ta = toyKind(sa, 'a')
      const tb = toyKind(sb, 'b')
      for (const t of [ta, tb]) for (const k of ['1', '2', '3']) t.active.add(k)
      const A = runtime(sa, 'a')
      A.register(ta.kind)
      await A.start()
      await waitFor(() => ['1', '2', '3', 'boss'].every((k) => ta.runs.get(k) === 1))
      const B = runtime(sb, 'b')
      B.register(tb.kind)
      await B.start()
      // B finds everything owned by a live A: it runs nothing, over several scans and wakes.
      await waitFor(() => tb.scans >= 3, 5000)
      expect(tb.starts.size).toBe(0)
      for (const k of ['1', '2']) B.wake('toys', k)
      const scans = tb.scans
      await waitFor(() => tb.scans >= scans + 2, 5000)
      expect(tb.starts.size).toBe(0)
      const held = await sa.leases.list('toys')
      expect(held.map((l) => [l.key, l.owner])).toEqual([
        ['1', 'a'],
        ['2', 'a'],
        ['3', 'a'],
        ['boss', 'a'],
      ])
      // A's database connection goes away, so it stops renewing (as if it died): B takes every object over after the lease.
      const fenceOfA = { kind: 'toys', key: '2', owner: 'a', epoch: held.find((l) => l.key === '2')!.epoch }
      await sa.close()
      await waitFor(() => ['1', '2', '3', 'boss'].every((k) => tb.runs.get(k) === 1), 10_000)
      const after = await sb.leases.list('toys')
      expect(after.every((l) => l.owner === 'b')).toBe(true)
      expect(after.find((l) => l.key === '2')!.epoch).toBeGreaterThan(fenceOfA.epoch)
      // A's late write, with its old fence, changes nothing.
      const f = fenceSql(fenceOfA)
      const late = await sb.db.run(`UPDATE kv SET value = '"a-late"' WHERE key = 'toy-2'${f.sql}`, f.params)
      expect(late.changes).toBe(0)
      expect(JSON.parse((await sb.db.get<{ value: string }>(`SELECT value FROM kv WHERE key = 'toy-2'`))!.value)).toBe('b')
      await A.stop().catch(() => {})
      await B.stop()
    })
  })
}
