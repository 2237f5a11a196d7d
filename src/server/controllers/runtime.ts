// The controller runtime: event-driven reconcile loops over persisted objects. Each object a kind
// names is reconciled by one replica at a time (the holder of its lease), one reconcile at a time
// (wakes during a reconcile coalesce into one more run), with timers for polling and backoff for
// errors. A lease loop renews this replica's leases in one statement, drops objects whose lease
// another replica took, and claims objects that need an owner (new ones, and a dead replica's).
import type { Fence } from '../../core/state/leases'
import type { Store } from '../../core/state/store'
import type { ControllerKind, ReconcileContext, ReconcileResult, WakeOptions } from './types'

export interface RuntimeOptions {
  store: Store
  replicaId: string
  /** How long a lease lasts unrenewed (a dead replica's objects are taken over after this). */
  leaseMs: number
  /** The only server of its store (SQLite): take every lease at start-up, whoever held it. */
  exclusive: boolean
  /** How often to look for objects without a live owner (default leaseMs / 3). */
  scanMs?: number
  /** Tell other replicas about a wake (PostgreSQL NOTIFY); they call wake() with it. */
  broadcast?: (kind: string, key: string, o?: WakeOptions) => void
  log: (line: string) => void
}

interface Item {
  kind: ControllerKind
  key: string
  fence: Fence
  lease: AbortController
  run: AbortController | null
  running: boolean
  queued: boolean
  dirty: boolean
  timer: ReturnType<typeof setTimeout> | null
  failures: number
}

const id = (kind: string, key: string) => `${kind}\u0000${key}`

export class ControllerRuntime {
  private kinds = new Map<string, ControllerKind>()
  private items = new Map<string, Item>()
  private claiming = new Set<string>()
  private queues = new Map<string, Item[]>()
  private active = new Map<string, number>()
  private loop: ReturnType<typeof setInterval> | null = null
  private scanning = false
  private stopping = false
  private started = false

  constructor(private o: RuntimeOptions) {}

  register(kind: ControllerKind): void {
    this.kinds.set(kind.kind, kind)
    this.queues.set(kind.kind, [])
    this.active.set(kind.kind, 0)
  }

  /** Claim what needs an owner, then keep leases fresh and look for orphans periodically. */
  async start(): Promise<void> {
    this.started = true
    await this.scan(this.o.exclusive)
    const every = this.o.scanMs ?? Math.max(200, Math.floor(this.o.leaseMs / 3))
    this.loop = setInterval(() => void this.tick(), every)
  }

  /** Objects this replica owns, per kind (for health output and tests). */
  owned(): Record<string, string[]> {
    const out: Record<string, string[]> = {}
    for (const it of this.items.values()) (out[it.kind.kind] ??= []).push(it.key)
    return out
  }

  /** Reconcile kind/key soon: at once if owned and idle, after the current run if running. */
  wake(kind: string, key: string, o: WakeOptions = {}, local = false): void {
    if (!local) this.o.broadcast?.(kind, key, o)
    if (this.stopping || !this.started) return
    const k = this.kinds.get(kind)
    if (!k) return
    const it = this.items.get(id(kind, key))
    if (!it) {
      void this.claim(k, key, false)
      return
    }
    if (o.interrupt) it.run?.abort()
    if (it.running) it.dirty = true
    else this.enqueue(it)
  }

  private async claim(k: ControllerKind, key: string, force: boolean): Promise<void> {
    const cid = id(k.kind, key)
    if (this.items.has(cid) || this.claiming.has(cid) || this.stopping) return
    this.claiming.add(cid)
    try {
      const now = Date.now()
      const fence = await this.o.store.leases.acquire(k.kind, key, this.o.replicaId, now, now + this.o.leaseMs, force)
      if (!fence || this.stopping || this.items.has(cid)) return
      const it: Item = { kind: k, key, fence, lease: new AbortController(), run: null, running: false, queued: false, dirty: false, timer: null, failures: 0 }
      this.items.set(cid, it)
      this.enqueue(it)
    } catch (e) {
      this.o.log(`controller ${k.kind}/${key}: could not take its lease: ${(e as Error).message}`)
    } finally {
      this.claiming.delete(cid)
    }
  }

  private enqueue(it: Item): void {
    if (it.timer) clearTimeout(it.timer)
    it.timer = null
    if (it.queued || it.running) return
    it.queued = true
    this.queues.get(it.kind.kind)!.push(it)
    this.pump(it.kind)
  }

  private pump(k: ControllerKind): void {
    const q = this.queues.get(k.kind)!
    const limit = k.maxConcurrent ?? 256
    while (q.length && this.active.get(k.kind)! < limit && !this.stopping) {
      const it = q.shift()!
      it.queued = false
      if (this.items.get(id(k.kind, it.key)) !== it) continue
      void this.run(it)
    }
  }

  private async run(it: Item): Promise<void> {
    const k = it.kind
    this.active.set(k.kind, this.active.get(k.kind)! + 1)
    it.running = true
    it.dirty = false
    const ac = new AbortController()
    it.run = ac
    const onLease = () => ac.abort()
    it.lease.signal.addEventListener('abort', onLease, { once: true })
    const ctx: ReconcileContext = { fence: it.fence, signal: ac.signal, wake: (kind, key, o) => this.wake(kind, key, o) }
    let result: ReconcileResult | void = undefined
    let failed = false
    let lostLease = false
    try {
      result = await k.reconcile(it.key, ctx)
      it.failures = 0
    } catch (e) {
      failed = true
      lostLease = !!(e as { leaseLost?: boolean })?.leaseLost
      if (!lostLease && !it.lease.signal.aborted && !this.stopping && !ac.signal.aborted) {
        it.failures++
        this.o.log(`controller ${k.kind}/${it.key}: reconcile failed (attempt ${it.failures}): ${(e as Error).stack ?? e}`)
      }
    } finally {
      it.lease.signal.removeEventListener('abort', onLease)
      it.running = false
      it.run = null
      this.active.set(k.kind, this.active.get(k.kind)! - 1)
    }
    if (lostLease) {
      this.o.log(`controller ${k.kind}/${it.key}: another replica took it over; stopping here`)
      await this.drop(it, false)
    } else if (this.items.get(id(k.kind, it.key)) === it && !this.stopping) {
      if (result?.done && !it.dirty) await this.drop(it, true)
      else if (it.dirty || (failed && ac.signal.aborted && !it.lease.signal.aborted)) this.enqueue(it)
      else if (failed) this.later(it, Math.min(30_000, 500 * 2 ** Math.min(it.failures, 6)))
      else if (result?.requeueAfterMs !== undefined) this.later(it, result.requeueAfterMs)
    }
    this.pump(k)
  }

  private later(it: Item, ms: number): void {
    if (it.timer) clearTimeout(it.timer)
    it.timer = setTimeout(() => {
      it.timer = null
      this.enqueue(it)
    }, Math.max(0, ms))
  }

  /** Forget an object; with release, give its lease back (it needs no owner now). */
  private async drop(it: Item, release: boolean): Promise<void> {
    const cid = id(it.kind.kind, it.key)
    if (this.items.get(cid) !== it) return
    this.items.delete(cid)
    if (it.timer) clearTimeout(it.timer)
    it.lease.abort()
    it.kind.forget?.(it.key)
    if (release) await this.o.store.leases.release(it.fence).catch(() => {})
  }

  private async tick(): Promise<void> {
    if (this.scanning || this.stopping) return
    this.scanning = true
    try {
      const held = await this.o.store.leases.renewAll(this.o.replicaId, Date.now() + this.o.leaseMs)
      for (const [cid, it] of this.items) {
        if (held.get(cid) !== it.fence.epoch) {
          this.o.log(`controller ${it.kind.kind}/${it.key}: lease lost to another replica; stopping here`)
          await this.drop(it, false)
        }
      }
      await this.scan(false)
    } catch (e) {
      this.o.log(`controller runtime: lease loop: ${(e as Error).message}`)
    } finally {
      this.scanning = false
    }
  }

  /** Claim every object of every kind that needs an owner and has no live one. */
  private async scan(force: boolean): Promise<void> {
    for (const k of this.kinds.values()) {
      const keys = [...(k.singletons ?? []), ...(await k.activeKeys())]
      const others = force ? new Set<string>() : await this.o.store.leases.heldByOthers(k.kind, this.o.replicaId, Date.now())
      await Promise.all(keys.filter((key) => !others.has(key) && !this.items.has(id(k.kind, key))).map((key) => this.claim(k, key, force)))
    }
  }

  /** Stop reconciling; wait up to graceMs for runs in progress; hand the leases back. */
  async stop(graceMs = 0): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    if (this.loop) clearInterval(this.loop)
    const deadline = Date.now() + graceMs
    while ([...this.items.values()].some((i) => i.running) && Date.now() < deadline) await Bun.sleep(20)
    for (const it of [...this.items.values()]) {
      it.lease.abort()
      if (it.timer) clearTimeout(it.timer)
      it.kind.forget?.(it.key)
    }
    this.items.clear()
    for (const k of this.kinds.values()) await k.close?.().catch(() => {})
    await this.o.store.leases.expireAll(this.o.replicaId).catch(() => {})
  }
}
