// Controller leases: which API server replica owns which controlled object (a managed job, a
// service, a singleton such as the jobs scheduler). A lease is held until `lease_until`; its
// owner renews all of its leases in one statement; anyone may take an expired one over, which
// bumps its epoch. Writes that must come from the owner carry a Fence and only land while that
// owner still holds that epoch.
import type { Db, SqlValue } from './db'

export interface Fence {
  kind: string
  key: string
  owner: string
  epoch: number
}

/** SQL condition (and its parameters) that is true only while `f` still holds its lease. */
export function fenceSql(f: Fence | undefined): { sql: string; params: SqlValue[] } {
  if (!f) return { sql: '', params: [] }
  return {
    sql: ` AND EXISTS (SELECT 1 FROM controller_leases WHERE kind = ? AND key = ? AND owner = ? AND epoch = ?)`,
    params: [f.kind, f.key, f.owner, f.epoch],
  }
}

export interface LeaseRow {
  kind: string
  key: string
  owner: string
  leaseUntil: number
  epoch: number
}

export class LeaseRepo {
  constructor(private db: Db) {}

  /**
   * Take (or keep) the lease of kind/key for `owner` until `until`, when it is free, already
   * ours, or expired before `now` (then its epoch is bumped: the previous owner is fenced off).
   * `force` takes it whatever its state (a single SQLite server at start-up). Returns the fence,
   * or undefined when another owner holds it.
   */
  async acquire(kind: string, key: string, owner: string, now: number, until: number, force = false): Promise<Fence | undefined> {
    const row = await this.db.get<{ epoch: number; owner: string }>(
      `INSERT INTO controller_leases (kind, key, owner, lease_until, epoch) VALUES (?, ?, ?, ?, 1)
       ON CONFLICT (kind, key) DO UPDATE SET
         epoch = CASE WHEN controller_leases.owner = excluded.owner THEN controller_leases.epoch ELSE controller_leases.epoch + 1 END,
         owner = excluded.owner, lease_until = excluded.lease_until
       WHERE controller_leases.owner = excluded.owner OR controller_leases.lease_until < ? OR ? = 1
       RETURNING epoch, owner`,
      [kind, key, owner, until, now, force ? 1 : 0],
    )
    if (!row || row.owner !== owner) return undefined
    return { kind, key, owner, epoch: Number(row.epoch) }
  }

  /** Extend every lease `owner` holds; returns what it still holds (kind/key → epoch). */
  async renewAll(owner: string, until: number): Promise<Map<string, number>> {
    const rows = await this.db.all<{ kind: string; key: string; epoch: number }>(
      `UPDATE controller_leases SET lease_until = ? WHERE owner = ? RETURNING kind, key, epoch`,
      [until, owner],
    )
    return new Map(rows.map((r) => [`${r.kind}\u0000${r.key}`, Number(r.epoch)]))
  }

  async release(f: Fence): Promise<void> {
    await this.db.run(`DELETE FROM controller_leases WHERE kind = ? AND key = ? AND owner = ? AND epoch = ?`, [f.kind, f.key, f.owner, f.epoch])
  }

  /** Let others take `owner`'s leases at once (graceful shutdown). */
  async expireAll(owner: string): Promise<void> {
    await this.db.run(`UPDATE controller_leases SET lease_until = 0 WHERE owner = ?`, [owner])
  }

  /** Leases of `kind` held by live owners other than `owner` (unexpired at `now`). */
  async heldByOthers(kind: string, owner: string, now: number): Promise<Set<string>> {
    const rows = await this.db.all<{ key: string }>(`SELECT key FROM controller_leases WHERE kind = ? AND owner <> ? AND lease_until >= ?`, [kind, owner, now])
    return new Set(rows.map((r) => r.key))
  }

  async list(kind?: string): Promise<LeaseRow[]> {
    const rows = await this.db.all<{ kind: string; key: string; owner: string; lease_until: number; epoch: number }>(
      `SELECT * FROM controller_leases${kind ? ' WHERE kind = ?' : ''} ORDER BY kind, key`,
      kind ? [kind] : [],
    )
    return rows.map((r) => ({ kind: r.kind, key: r.key, owner: r.owner, leaseUntil: Number(r.lease_until), epoch: Number(r.epoch) }))
  }
}
