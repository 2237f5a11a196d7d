// Per-cluster lease locks kept in the store, so they hold across API server replicas sharing one
// PostgreSQL as well as across worker threads on SQLite. A lock has an owner (a request id, or a
// controller's id) and a lease the holder renews; an expired lease is taken over, and the same
// owner may take its own lock again at once (a request re-run after a crash resumes under it).
import type { Db } from './db'

export interface LockRow {
  name: string
  owner: string
  purpose: string
  acquiredAt: number
  leaseUntil: number
}

export class LockRepo {
  constructor(private db: Db) {}

  /** Take or renew `name` for `owner` until now + leaseMs; false when someone else holds a live lease. */
  async tryAcquire(name: string, owner: string, purpose: string, leaseMs: number, now = Date.now()): Promise<boolean> {
    const r = await this.db.run(
      `INSERT INTO cluster_locks (name, owner, purpose, acquired_at, lease_until) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, purpose = excluded.purpose,
         acquired_at = CASE WHEN cluster_locks.owner = excluded.owner THEN cluster_locks.acquired_at ELSE excluded.acquired_at END,
         lease_until = excluded.lease_until
       WHERE cluster_locks.lease_until < ? OR cluster_locks.owner = ?`,
      [name, owner, purpose, now, now + leaseMs, now, owner],
    )
    return r.changes > 0
  }

  /** Extend a lease still held by `owner`; false when it was lost. */
  async renew(name: string, owner: string, leaseMs: number): Promise<boolean> {
    const r = await this.db.run(`UPDATE cluster_locks SET lease_until = ? WHERE name = ? AND owner = ?`, [Date.now() + leaseMs, name, owner])
    return r.changes > 0
  }

  async release(name: string, owner: string): Promise<void> {
    await this.db.run(`DELETE FROM cluster_locks WHERE name = ? AND owner = ?`, [name, owner])
  }

  async get(name: string): Promise<LockRow | undefined> {
    const r = await this.db.get<{ name: string; owner: string; purpose: string; acquired_at: number; lease_until: number }>(
      `SELECT name, owner, purpose, acquired_at, lease_until FROM cluster_locks WHERE name = ?`,
      [name],
    )
    return r ? { name: r.name, owner: r.owner, purpose: r.purpose, acquiredAt: Number(r.acquired_at), leaseUntil: Number(r.lease_until) } : undefined
  }
}
