// The executor: two lanes (LONG, SHORT) of worker threads. The server thread owns the queue and
// all writes to request rows; workers run handlers and report back. Short requests never wait
// behind long ones because each lane has its own threads.
import type { WireError } from '../../core/errors'
import type { DbLocation } from '../../core/state/db'
import type { Lane, RequestRecord, RequestStatus } from '../../core/state/requests'
import type { Store } from '../../core/state/store'
import type { OpUser } from '../ops/types'
import type { LaneSizing } from './sizing'
import { logger } from '../../core/log'

const log = logger('server:executor')

declare const SKY_WORKER_REQUEST: string | undefined

function workerSpecifier(): string | URL {
  if (typeof SKY_WORKER_REQUEST === 'string') return SKY_WORKER_REQUEST
  return new URL('../../workers/request-worker.ts', import.meta.url)
}

export interface Job {
  id: string
  name: string
  body: unknown
  user: OpUser
  /** Already RUNNING in the store (claimed from the database by this replica). */
  claimed?: boolean
}

interface Slot {
  worker: Worker
  ready: Promise<void>
  running: Set<string>
  idleSince: number
}

export interface ExecutorOptions {
  store: Store
  db: DbLocation
  logDir: string
  plugins: string[]
  sizing: LaneSizing
  /** Called after a request reached a final state (row already written). */
  onFinal: (id: string, status: RequestStatus) => void
  /** A handler asked to cancel a cluster's other requests. */
  onCancelCluster: (requestId: string, cluster: string, except: string[]) => Promise<string[]>
  /** A handler asked to cancel other requests by id. */
  onCancelRequests?: (ids: string[]) => Promise<string[]>
  /** A handler woke an object of the controller runtime. */
  onControllerWake?: (kind: string, key: string, o?: { interrupt?: boolean }) => void
  /** Give up on a cancelled handler that ignores its AbortSignal after this long. */
  hardCancelMs?: number
  idleWorkerMs?: number
  /** Called when a lane has room again (several replicas: claim more from the database). */
  onRoom?: (lane: Lane) => void
  /** The worker script (default: the request worker; tests give a stand-in). */
  workerUrl?: string | URL
  /** Environment the worker threads get (SKY_HOME and the server's mode). */
  workerEnv?: Record<string, string>
}

export class Executor {
  private queues: Record<Lane, Job[]> = { long: [], short: [] }
  private slots: Record<Lane, Slot[]> = { long: [], short: [] }
  /**
   * Requests started here. `sent`: the worker was given it (until then a cancel is only noted, in
   * `cancelled`: the worker would not know the id yet, and the request must not start at all).
   */
  private where = new Map<string, { lane: Lane; slot: Slot; sent?: boolean; cancelled?: boolean }>()
  private reaper: ReturnType<typeof setInterval> | undefined
  private stopping = false
  /** Several replicas: this replica's id; results are written only while it holds the request. */
  replicaId: string | undefined

  /** Worker threads resolve paths from this SKY_HOME: the server's, when it started. */
  private readonly home = process.env.SKY_HOME ?? ''

  constructor(private o: ExecutorOptions) {
    this.reaper = setInterval(() => this.reapIdle(), 30_000)
    this.reaper.unref?.()
  }

  /** Queue a PENDING request. */
  enqueue(lane: Lane, job: Job): void {
    this.queues[lane].push(job)
    this.pump(lane)
  }

  /** Remove a PENDING request from the queue; true if it was there. */
  dequeue(id: string): boolean {
    for (const lane of ['long', 'short'] as Lane[]) {
      const q = this.queues[lane]
      const i = q.findIndex((j) => j.id === id)
      if (i >= 0) {
        q.splice(i, 1)
        return true
      }
    }
    return false
  }

  /** Abort a RUNNING request's handler; terminate its worker if it does not stop in time. */
  abort(id: string): void {
    const at = this.where.get(id)
    if (!at) return
    if (!at.sent) {
      // Still waiting for its worker to be ready: start() ends it instead of running it.
      at.cancelled = true
      return
    }
    at.slot.worker.postMessage({ type: 'cancel', id })
    const t = setTimeout(() => {
      if (this.where.get(id)?.slot === at.slot) this.killSlot(at.lane, at.slot, 'cancelled request did not stop')
    }, this.o.hardCancelMs ?? 10_000)
    t.unref?.()
  }

  isRunningHere(id: string): boolean {
    return this.where.has(id)
  }

  runningCount(): number {
    return this.where.size
  }

  runningIds(): string[] {
    return [...this.where.keys()]
  }

  /** How many more requests the lane can start now (0 while stopping). */
  freeCapacity(lane: Lane): number {
    if (this.stopping) return 0
    const cap = this.capacity(lane)
    let free = (this.maxSlots(lane) - this.slots[lane].length) * cap
    for (const s of this.slots[lane]) free += cap - s.running.size
    return Math.max(0, free - this.queues[lane].length)
  }

  private capacity(lane: Lane): number {
    return lane === 'long' ? 1 : this.o.sizing.shortConcurrency
  }

  private maxSlots(lane: Lane): number {
    return lane === 'long' ? this.o.sizing.long : this.o.sizing.short
  }

  private pump(lane: Lane): void {
    const q = this.queues[lane]
    while (q.length && !this.stopping) {
      const slot = this.pickSlot(lane)
      if (!slot) return
      const job = q.shift()!
      void this.start(lane, slot, job)
    }
  }

  private pickSlot(lane: Lane): Slot | undefined {
    const cap = this.capacity(lane)
    const slots = this.slots[lane]
    let best: Slot | undefined
    for (const s of slots) if (s.running.size < cap && (!best || s.running.size < best.running.size)) best = s
    // Prefer a fresh thread over doubling up while under the limit.
    if ((!best || best.running.size > 0) && slots.length < this.maxSlots(lane)) return this.spawn(lane)
    return best
  }

  private spawn(lane: Lane): Slot {
    const worker = new Worker(this.o.workerUrl ?? workerSpecifier())
    let resolveReady!: () => void
    let rejectReady!: (e: Error) => void
    const ready = new Promise<void>((res, rej) => {
      resolveReady = res
      rejectReady = rej
    })
    const slot: Slot = { worker, ready, running: new Set(), idleSince: Date.now() }
    worker.onmessage = (ev: MessageEvent) => {
      const m = ev.data
      if (m.type === 'ready') resolveReady()
      else if (m.type === 'init-failed') rejectReady(new Error(m.error?.message ?? 'worker init failed'))
      else if (m.type === 'done') void this.finish(lane, slot, m.id, m.ok ? null : m.error, m.result)
      else if (m.type === 'cancel-cluster') {
        void this.o.onCancelCluster(m.requestId, m.cluster, m.except).then((ids) =>
          worker.postMessage({ type: 'cancel-cluster-result', callId: m.callId, ids }),
        )
      } else if (m.type === 'cancel-requests') {
        void (this.o.onCancelRequests?.(m.ids) ?? Promise.resolve([])).then((ids) => worker.postMessage({ type: 'cancel-requests-result', callId: m.callId, ids }))
      } else if (m.type === 'controller-wake') this.o.onControllerWake?.(m.kind, m.key, m.o)
    }
    worker.onerror = (ev) => {
      ev.preventDefault?.()
      this.killSlot(lane, slot, `worker crashed: ${(ev as ErrorEvent).message ?? 'unknown error'}`)
    }
    worker.postMessage({ type: 'init', db: this.o.db, plugins: this.o.plugins, logDir: this.o.logDir, env: { SKY_HOME: this.home, ...this.o.workerEnv } })
    this.slots[lane].push(slot)
    return slot
  }

  private async start(lane: Lane, slot: Slot, job: Job): Promise<void> {
    slot.running.add(job.id)
    this.where.set(job.id, { lane, slot })
    const ok = job.claimed || (await this.o.store.requests.markRunning(job.id, null, null))
    if (!ok) {
      // Cancelled between queueing and starting.
      slot.running.delete(job.id)
      this.where.delete(job.id)
      this.pump(lane)
      return
    }
    if ((job.body as { sealed_body_unreadable?: boolean } | null)?.sealed_body_unreadable) {
      const message = 'This request holds secrets sealed with another secrets key than this server\'s; set the same SKYPILOT_SECRETS_KEY on every replica and run the command again.'
      await this.finish(lane, slot, job.id, { name: 'InternalError', code: 'INTERNAL', message }, null)
      return
    }
    try {
      await slot.ready
    } catch (e) {
      await this.finish(lane, slot, job.id, { name: 'InternalError', code: 'INTERNAL', message: (e as Error).message }, null)
      return
    }
    const at = this.where.get(job.id)
    if (!at) return
    if (at.cancelled) {
      await this.finish(lane, slot, job.id, { name: 'CancelledError', code: 'CANCELLED', message: 'Request was cancelled.' }, null)
      return
    }
    at.sent = true
    slot.worker.postMessage({ type: 'run', id: job.id, name: job.name, body: job.body, user: job.user })
  }

  private async finish(lane: Lane, slot: Slot, id: string, error: WireError | null, result: unknown): Promise<void> {
    if (!slot.running.delete(id)) return
    this.where.delete(id)
    slot.idleSince = Date.now()
    const status: RequestStatus = error ? (error.code === 'CANCELLED' ? 'CANCELLED' : 'FAILED') : 'SUCCEEDED'
    let final: RequestStatus = status
    try {
      const changed = await this.o.store.requests.finish(id, status, error ? null : result, error, this.replicaId)
      if (!changed) final = (await this.o.store.requests.get(id))?.status ?? status
    } catch (e) {
      log.error(`request ${id}: could not record its result:`, e)
    }
    this.o.onFinal(id, final)
    this.pump(lane)
    if (this.o.onRoom && !this.stopping) this.o.onRoom(lane)
  }

  private killSlot(lane: Lane, slot: Slot, why: string): void {
    slot.worker.terminate()
    this.slots[lane] = this.slots[lane].filter((s) => s !== slot)
    for (const id of [...slot.running]) {
      void this.finish(lane, slot, id, { name: 'InternalError', code: 'INTERNAL', message: `Request stopped: ${why}.` }, null)
    }
    this.pump(lane)
  }

  private reapIdle(): void {
    const limit = this.o.idleWorkerMs ?? 300_000
    for (const lane of ['long', 'short'] as Lane[]) {
      for (const s of this.slots[lane]) {
        if (s.running.size === 0 && Date.now() - s.idleSince > limit) {
          s.worker.terminate()
          this.slots[lane] = this.slots[lane].filter((x) => x !== s)
        }
      }
    }
  }

  /** Stop taking work; wait up to graceMs for running requests; then terminate threads. */
  async shutdown(graceMs: number): Promise<string[]> {
    this.stopping = true
    if (this.reaper) clearInterval(this.reaper)
    const deadline = Date.now() + graceMs
    while (this.where.size && Date.now() < deadline) await Bun.sleep(50)
    const unfinished = [...this.where.keys()]
    for (const lane of ['long', 'short'] as Lane[]) for (const s of this.slots[lane]) s.worker.terminate()
    return unfinished
  }
}

export type { RequestRecord }
