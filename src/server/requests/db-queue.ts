// Several API server replicas on one PostgreSQL: the requests table is the queue. Each replica
// claims PENDING rows atomically (FOR UPDATE SKIP LOCKED) as RUNNING under a lease it renews
// while they run; a request whose replica stops renewing is re-run elsewhere when idempotent and
// otherwise FAILED with the reason. Replicas wake each other with LISTEN/NOTIFY (new requests,
// finished requests, cancellations) and also poll, so a lost notification costs at most a poll.
import type { WireError } from '../../core/errors'
import type { Lane, RequestRecord, RequestStatus } from '../../core/state/requests'
import type { Store } from '../../core/state/store'
import type { OpMeta } from '../ops/types'
import type { Executor } from './executor'
import type { LogStore } from './log-store'
import { logger } from '../../core/log'

const log = logger('server:queue')

const LANES: Lane[] = ['long', 'short']
const CH_PENDING = 'sky_requests_pending'
const CH_FINAL = 'sky_requests_final'
const CH_CANCEL = 'sky_requests_cancel'
const CLAIM_BATCH = 16

export interface DbQueueOptions {
  store: Store
  executor: Executor
  ops: Map<string, OpMeta>
  logs: LogStore
  replicaId: string
  /** A RUNNING request whose replica has not renewed it for this long is taken over. */
  leaseMs: number
  /** Role for rows that carry none. */
  defaultRole: string
  /** A request reached a final state (here or on another replica). */
  onFinal: (id: string, status: RequestStatus) => void
  /** Ids some caller waits on (polled in case a notification was missed). */
  watched: () => Iterable<string>
  pollMs?: number
}

export class DbQueue {
  private claiming: Record<Lane, boolean> = { long: false, short: false }
  private again: Record<Lane, boolean> = { long: false, short: false }
  /** The last claim stopped for lack of room, so rows may still be waiting. */
  private starved: Record<Lane, boolean> = { long: true, short: true }
  private timers: ReturnType<typeof setInterval>[] = []
  private subs: { unlisten(): Promise<void> }[] = []
  private outbox = new Map<string, Set<string>>()
  private outboxTimer: ReturnType<typeof setTimeout> | undefined
  private stopped = false
  /** Claims wait for start(): it first expires this replica id's old leases, which would take back anything claimed before. */
  private started = false
  private sweeping = false
  private renewing = false

  constructor(private o: DbQueueOptions) {}

  async start(): Promise<void> {
    const db = this.o.store.db
    if (db.listen) {
      try {
        this.subs.push(await db.listen(CH_PENDING, (p) => this.onPendingNote(p)))
        this.subs.push(await db.listen(CH_FINAL, (p) => this.onFinalNote(p)))
        this.subs.push(await db.listen(CH_CANCEL, (p) => this.onCancelNote(p)))
      } catch (e) {
        log.warn(`LISTEN failed (${(e as Error).message}); relying on polling.`)
      }
    }
    const poll = this.o.pollMs ?? 100
    const every = (ms: number, fn: () => unknown) => {
      const t = setInterval(() => void Promise.resolve(fn()).catch((e) => this.warn(e)), ms)
      t.unref?.()
      this.timers.push(t)
    }
    every(poll, () => {
      for (const l of LANES) this.kick(l, true)
      return this.pollWatched()
    })
    every(Math.max(50, Math.min(500, Math.floor(this.o.leaseMs / 4))), () => this.renew())
    every(Math.max(200, Math.min(1000, Math.floor(this.o.leaseMs / 2))), () => this.sweep())
    // Requests this replica ran before a restart (same replica id) are dead now: take them over.
    await this.o.store.requests.releaseLeases(this.o.replicaId)
    await this.sweep()
    this.started = true
    for (const l of LANES) this.kick(l, true)
  }

  private warn(e: unknown): void {
    if (!this.stopped) log.warn(e)
  }

  /** A request was submitted or freed here: claim now. */
  submitted(lane: Lane): void {
    this.kick(lane, true)
    this.send(CH_PENDING, lane)
  }

  /** The executor has room again in `lane`. */
  room(lane: Lane): void {
    if (this.starved[lane]) this.kick(lane, true)
  }

  kick(lane: Lane, force = false): void {
    if (this.stopped || !this.started || (!force && !this.starved[lane])) return
    if (this.claiming[lane]) {
      this.again[lane] = true
      return
    }
    void this.claimLoop(lane)
  }

  private async claimLoop(lane: Lane): Promise<void> {
    this.claiming[lane] = true
    try {
      do {
        this.again[lane] = false
        for (;;) {
          const free = this.o.executor.freeCapacity(lane)
          if (free <= 0 || this.stopped) {
            this.starved[lane] = true
            break
          }
          const want = Math.min(free, CLAIM_BATCH)
          const rows = await this.o.store.requests.claim(lane, this.o.replicaId, Date.now() + this.o.leaseMs, want)
          for (const r of rows) this.dispatch(lane, r)
          if (rows.length < want) {
            this.starved[lane] = false
            break
          }
        }
      } while (this.again[lane] && !this.stopped)
    } catch (e) {
      this.warn(e)
    } finally {
      this.claiming[lane] = false
    }
  }

  private dispatch(lane: Lane, r: RequestRecord): void {
    if (!this.o.ops.has(r.name)) {
      const err: WireError = { name: 'InternalError', code: 'INTERNAL', message: `Unknown request '${r.name}' on API server replica ${this.o.replicaId}.` }
      void this.o.store.requests
        .finish(r.requestId, 'FAILED', null, err, this.o.replicaId)
        .then(() => {
          this.o.onFinal(r.requestId, 'FAILED')
          this.finished(r.requestId, 'FAILED')
        })
        .catch((e) => this.warn(e))
      return
    }
    this.o.executor.enqueue(lane, {
      id: r.requestId,
      name: r.name,
      body: r.body,
      user: { id: r.userId, name: r.userName, role: r.userRole ?? this.o.defaultRole },
      claimed: true,
    })
  }

  /** Tell every replica a request is final (their callers may be waiting on it). */
  finished(id: string, status: RequestStatus): void {
    this.send(CH_FINAL, `${status}:${id}`)
  }

  /** Tell the replica running `id` to stop it (the row is already CANCELLED). */
  cancelled(id: string): void {
    this.send(CH_CANCEL, id)
  }

  /**
   * Queue a notification; notifications within a few ms go out as one NOTIFY per channel, as
   * `<replica id>|item,item,...`. A replica ignores its own notes: it already acted on them
   * (kicked its claim loop, resolved its waiters, aborted its handler), and a self-kick would
   * cost one more claim query per batch.
   */
  private send(channel: string, item: string): void {
    if (!this.o.store.db.notify || this.stopped) return
    let set = this.outbox.get(channel)
    if (!set) this.outbox.set(channel, (set = new Set()))
    set.add(item)
    this.outboxTimer ??= setTimeout(() => this.flushOutbox(), 2)
  }

  private flushOutbox(): void {
    this.outboxTimer = undefined
    const notify = this.o.store.db.notify!.bind(this.o.store.db)
    const from = `${this.o.replicaId}|`
    for (const [channel, items] of this.outbox) {
      let payload = ''
      for (const it of items) {
        if (payload && from.length + payload.length + it.length > 7000) {
          void notify(channel, from + payload).catch((e) => this.warn(e))
          payload = ''
        }
        payload += (payload ? ',' : '') + it
      }
      if (payload) void notify(channel, from + payload).catch((e) => this.warn(e))
    }
    this.outbox.clear()
  }

  /** The items of another replica's note; none for this replica's own. */
  private itemsOf(payload: string): string[] {
    const bar = payload.lastIndexOf('|')
    if (bar >= 0 && payload.slice(0, bar) === this.o.replicaId) return []
    return payload.slice(bar + 1).split(',')
  }

  private onPendingNote(payload: string): void {
    for (const lane of this.itemsOf(payload)) if (lane === 'long' || lane === 'short') this.kick(lane, true)
  }

  private onFinalNote(payload: string): void {
    for (const item of this.itemsOf(payload)) {
      const i = item.indexOf(':')
      if (i > 0) this.o.onFinal(item.slice(i + 1), item.slice(0, i) as RequestStatus)
    }
  }

  private onCancelNote(payload: string): void {
    for (const id of this.itemsOf(payload)) {
      this.o.executor.dequeue(id)
      this.o.executor.abort(id)
    }
  }

  /** Waiters whose request runs elsewhere: check their rows (covers a missed notification). */
  private async pollWatched(): Promise<void> {
    const ids = [...this.o.watched()].filter((id) => !this.o.executor.isRunningHere(id))
    if (!ids.length) return
    const st = await this.o.store.requests.statuses(ids)
    for (const id of ids) {
      const s = st.get(id)
      if (s === 'SUCCEEDED' || s === 'FAILED' || s === 'CANCELLED') this.o.onFinal(id, s)
      else if (s === undefined) this.o.onFinal(id, 'FAILED')
    }
  }

  /** Renew the leases of what runs here; stop what is no longer ours (cancelled, taken over). */
  private async renew(): Promise<void> {
    if (this.renewing || this.stopped) return
    this.renewing = true
    try {
      const mine = this.o.executor.runningIds()
      if (!mine.length) return
      const held = new Set(await this.o.store.requests.renewLeases(this.o.replicaId, Date.now() + this.o.leaseMs))
      for (const id of mine) if (!held.has(id) && this.o.executor.isRunningHere(id)) this.o.executor.abort(id)
    } finally {
      this.renewing = false
    }
  }

  /** Take over requests whose replica died: re-run the idempotent ones, fail the rest. */
  async sweep(): Promise<{ requeued: string[]; failed: string[] }> {
    const out = { requeued: [] as string[], failed: [] as string[] }
    if (this.sweeping || this.stopped) return out
    this.sweeping = true
    try {
      const now = Date.now()
      for (const r of await this.o.store.requests.expiredLeases(now)) {
        const meta = this.o.ops.get(r.name)
        const who = r.replicaId ?? 'unknown'
        if (meta?.idempotent) {
          if (await this.o.store.requests.requeueExpired(r.requestId, now, `Re-run: API server replica ${who} stopped.`)) {
            this.o.logs.append(r.requestId, `The API server replica running this request (${who}) stopped; re-running it.\n`)
            out.requeued.push(r.requestId)
            this.submitted(r.lane)
          }
        } else {
          const err: WireError = {
            name: 'InternalError',
            code: 'INTERNAL',
            message: `The API server replica running this request (${who}) stopped; '${r.name}' is not safe to repeat automatically, so it was not re-run. Run the command again.`,
          }
          if (await this.o.store.requests.failExpired(r.requestId, now, err)) {
            this.o.logs.append(r.requestId, `The API server replica running this request (${who}) stopped; marked FAILED.\n`)
            out.failed.push(r.requestId)
            this.o.onFinal(r.requestId, 'FAILED')
            this.finished(r.requestId, 'FAILED')
          }
        }
      }
    } finally {
      this.sweeping = false
    }
    return out
  }

  /** Stop claiming and hand back (expire) the leases of whatever still runs here. */
  async stop(): Promise<void> {
    if (this.outboxTimer) {
      clearTimeout(this.outboxTimer)
      this.flushOutbox()
    }
    this.stopped = true
    for (const t of this.timers) clearInterval(t)
    for (const s of this.subs) await s.unlisten().catch(() => {})
    await this.o.store.requests.releaseLeases(this.o.replicaId).catch(() => {})
  }
}
