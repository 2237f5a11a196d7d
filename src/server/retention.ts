// Retention: finished requests older than `api_server.requests_retention_hours` are deleted with
// their logs, off the request path (the same worker thread also takes the WAL checkpoints off the
// server thread): a worker thread with its own database connection deletes
// them in small batches with a pause between, so a backlog of any size never holds the write
// lock (or the server's event loop) for long. On SQLite that connection checkpoints the WAL
// itself (passively, so writers are never blocked) and afterwards gives the freed pages back a
// few at a time (incremental vacuum) and truncates the WAL, so the file shrinks. One collection
// runs at a time.
import type { DbLocation } from '../core/state/db'
import type { Store } from '../core/state/store'
import type { LogStore } from './requests/log-store'

declare const SKY_WORKER_RETENTION: string | undefined

function workerSpecifier(): string | URL {
  if (typeof SKY_WORKER_RETENTION === 'string') return SKY_WORKER_RETENTION
  return new URL('../workers/retention-worker.ts', import.meta.url)
}

export interface RetentionOptions {
  /** Rows per DELETE (default 200). */
  batch?: number
  /** Pause between batches (default 5 ms). */
  pauseMs?: number
  /** Pages freed per incremental-vacuum step (default 200, 800 KB). */
  vacuumPages?: number
  /** SQLite: checkpoint the WAL from the worker this often (see takeCheckpoints). */
  checkpointMs?: number
}

/** The collection itself, on a store and log store of its own (run inside the worker). */
export async function collectOld(store: Store, logs: LogStore, cutoff: number, o: RetentionOptions = {}, stopped = () => false): Promise<number> {
  const batch = o.batch ?? 200
  const pause = o.pauseMs ?? 5
  const sqlite = store.db.kind === 'sqlite'
  if (sqlite) await store.db.run('PRAGMA wal_autocheckpoint = 0')
  let total = 0
  let sinceCheckpoint = 0
  while (!stopped()) {
    const began = performance.now()
    const ids = await store.requests.deleteFinishedBefore(cutoff, batch)
    for (const id of ids) await logs.remove(id)
    total += ids.length
    if (sqlite && ++sinceCheckpoint >= 4) {
      await store.db.run('PRAGMA wal_checkpoint(PASSIVE)')
      sinceCheckpoint = 0
    }
    if (ids.length < batch) break
    // At most half the time busy: the pause is as long as the batch took (at least `pause`), so
    // on a loaded machine the cleanup slows down rather than crowding out the server.
    await Bun.sleep(Math.max(pause, performance.now() - began))
  }
  if (sqlite && total > 0) await shrink(store, o, stopped)
  return total
}

/** Give free pages back a step at a time, then truncate the WAL. */
async function shrink(store: Store, o: RetentionOptions, stopped: () => boolean): Promise<void> {
  const db = store.db
  const mode = await db.get<{ auto_vacuum: number }>('PRAGMA auto_vacuum')
  if (Number(mode?.auto_vacuum) === 2) {
    for (let i = 0; i < 1_000_000 && !stopped(); i++) {
      const free = Number((await db.get<{ freelist_count: number }>('PRAGMA freelist_count'))?.freelist_count ?? 0)
      if (free === 0) break
      const began = performance.now()
      await db.run(`PRAGMA incremental_vacuum(${o.vacuumPages ?? 200})`)
      await db.run('PRAGMA wal_checkpoint(PASSIVE)')
      await Bun.sleep(Math.max(o.pauseMs ?? 5, performance.now() - began))
    }
  }
  await db.run('PRAGMA wal_checkpoint(TRUNCATE)').catch(() => {})
}

export class Retention {
  private running: Promise<number> | undefined
  private worker: Worker | undefined
  private ready: Promise<void> | undefined
  private waiting = new Map<number, { resolve: (n: number) => void; reject: (e: Error) => void }>()
  private next = 0

  constructor(
    private store: Store,
    private logs: LogStore,
    private o: RetentionOptions & { logDir?: string } = {},
  ) {}

  /** Collect requests finished before now - retentionMs; resolves with how many were deleted. */
  collect(retentionMs: number): Promise<number> {
    this.running ??= this.run(Date.now() - retentionMs).finally(() => (this.running = undefined))
    return this.running
  }

  private start(): Worker {
    const w = new Worker(workerSpecifier())
    this.ready = new Promise<void>((resolve, reject) => {
      w.onmessage = (ev: MessageEvent) => {
        const m = ev.data as { type: string; id?: number; deleted?: number; error?: string }
        if (m.type === 'ready') return resolve()
        if (m.type === 'init-failed') return reject(new Error(m.error))
        const p = this.waiting.get(m.id!)
        this.waiting.delete(m.id!)
        if (m.type === 'done') p?.resolve(m.deleted ?? 0)
        else p?.reject(new Error(m.error ?? 'retention failed'))
      }
      w.onerror = (ev) => {
        ev.preventDefault?.()
        for (const p of this.waiting.values()) p.reject(new Error(`retention worker: ${(ev as ErrorEvent).message}`))
        this.waiting.clear()
        this.worker = undefined
        // No one checkpoints for the server thread any more: it does so itself again.
        if (this.o.checkpointMs && this.store.db.kind === 'sqlite') void this.store.db.run('PRAGMA wal_autocheckpoint = 1000').catch(() => {})
      }
    })
    const loc: DbLocation = this.store.location
    w.postMessage({
      type: 'init',
      db: loc,
      logDir: this.o.logDir,
      options: { batch: this.o.batch, pauseMs: this.o.pauseMs, vacuumPages: this.o.vacuumPages },
      env: { SKY_HOME: process.env.SKY_HOME ?? '' },
      checkpointMs: this.o.checkpointMs,
    })
    return w
  }

  /**
   * SQLite: take over WAL checkpoints from the server thread (whose connection then never
   * checkpoints), running them passively on the worker's connection every `checkpointMs`.
   */
  async takeCheckpoints(): Promise<void> {
    if (this.store.location.kind !== 'sqlite' || this.store.location.path === ':memory:' || !this.o.checkpointMs) return
    this.worker ??= this.start()
    await this.ready
    await this.store.db.run('PRAGMA wal_autocheckpoint = 0')
  }

  private async run(cutoff: number): Promise<number> {
    // An in-memory store has no second connection to open: collect here.
    if (this.store.location.kind === 'sqlite' && this.store.location.path === ':memory:') return collectOld(this.store, this.logs, cutoff, this.o)
    const w = (this.worker ??= this.start())
    await this.ready
    const id = ++this.next
    return new Promise<number>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject })
      w.postMessage({ type: 'collect', id, cutoff })
    })
  }

  stop(): void {
    this.worker?.terminate()
    this.worker = undefined
    for (const p of this.waiting.values()) p.reject(new Error('retention stopped'))
    this.waiting.clear()
  }
}

/**
 * New SQLite stores use incremental auto-vacuum. An existing store without it is converted once
 * (a full VACUUM) when it is small enough for that to be quick; a big one keeps its mode and is
 * still collected, and reuses its free pages.
 */
export async function enableIncrementalVacuum(store: Store, maxBytes = 64 << 20): Promise<void> {
  const db = store.db
  if (db.kind !== 'sqlite') return
  const mode = Number((await db.get<{ auto_vacuum: number }>('PRAGMA auto_vacuum'))?.auto_vacuum ?? 0)
  if (mode === 2) return
  const pages = Number((await db.get<{ page_count: number }>('PRAGMA page_count'))?.page_count ?? 0)
  const size = Number((await db.get<{ page_size: number }>('PRAGMA page_size'))?.page_size ?? 4096)
  if (pages * size > maxBytes) return
  await db.run('PRAGMA auto_vacuum = INCREMENTAL')
  await db.run('VACUUM')
}
