// Retention: finished requests older than `api_server.requests_retention_hours` are deleted with
// their logs, in small batches with a pause between them, so a backlog of any size never holds
// the database (or the server thread) for long. On SQLite the freed pages are then returned to
// the file system a few at a time (incremental vacuum) and the WAL is truncated, so the file
// shrinks. One collection runs at a time.
import type { Store } from '../core/state/store'
import type { LogStore } from './requests/log-store'

export interface RetentionOptions {
  /** Rows per DELETE (default 500). */
  batch?: number
  /** Pause between batches (default 5 ms). */
  pauseMs?: number
  /** Pages freed per incremental-vacuum step (default 1000, 4 MB). */
  vacuumPages?: number
}

export class Retention {
  private running: Promise<number> | undefined
  private stopped = false

  constructor(
    private store: Store,
    private logs: LogStore,
    private o: RetentionOptions = {},
  ) {}

  /** Collect requests finished before now - retentionMs; resolves with how many were deleted. */
  collect(retentionMs: number): Promise<number> {
    this.running ??= this.run(Date.now() - retentionMs).finally(() => (this.running = undefined))
    return this.running
  }

  stop(): void {
    this.stopped = true
  }

  private async run(cutoff: number): Promise<number> {
    const batch = this.o.batch ?? 500
    const pause = this.o.pauseMs ?? 5
    let total = 0
    while (!this.stopped) {
      const ids = await this.store.requests.deleteFinishedBefore(cutoff, batch)
      for (const id of ids) await this.logs.remove(id)
      total += ids.length
      if (ids.length < batch) break
      await Bun.sleep(pause)
    }
    if (total > 0 && this.store.db.kind === 'sqlite') await this.shrink()
    return total
  }

  /** Give free pages back a step at a time, then truncate the WAL. */
  private async shrink(): Promise<void> {
    const db = this.store.db
    const pages = this.o.vacuumPages ?? 1000
    const mode = await db.get<{ auto_vacuum: number }>('PRAGMA auto_vacuum')
    if (Number(mode?.auto_vacuum) === 2) {
      for (let i = 0; i < 100_000 && !this.stopped; i++) {
        const free = Number((await db.get<{ freelist_count: number }>('PRAGMA freelist_count'))?.freelist_count ?? 0)
        if (free === 0) break
        await db.run(`PRAGMA incremental_vacuum(${pages})`)
        await Bun.sleep(this.o.pauseMs ?? 5)
      }
    }
    await db.run('PRAGMA wal_checkpoint(TRUNCATE)').catch(() => {})
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
