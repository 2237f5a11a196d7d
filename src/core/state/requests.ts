// The requests table: every API operation is a row with its status, body, result and error.
import type { WireError } from '../errors'
import type { Db, SqlValue } from './db'

export type RequestStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED'
export type Lane = 'long' | 'short'

export const FINAL_STATUSES: ReadonlySet<RequestStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED'])

export interface RequestRecord {
  requestId: string
  name: string
  userId: string
  userName: string
  status: RequestStatus
  lane: Lane
  clusterName: string | null
  body: unknown
  result: unknown
  error: WireError | null
  statusMsg: string | null
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
  replicaId: string | null
  attempts: number
  /** The submitter's role when submitted (`admin` may act on everyone's clusters). */
  userRole: string | null
}

interface RawRequest {
  request_id: string
  name: string
  user_id: string
  user_name: string
  status: RequestStatus
  lane: Lane
  cluster_name: string | null
  body: string
  result: string | null
  error: string | null
  status_msg: string | null
  created_at: number | bigint
  started_at: number | bigint | null
  finished_at: number | bigint | null
  replica_id: string | null
  attempts: number
  user_role?: string | null
}

const num = (v: number | bigint | null): number | null => (v === null || v === undefined ? null : Number(v))

/**
 * Seals request bodies that carry secrets before they are stored, and opens them when read, so
 * no secret value is ever written in clear to the database (its WAL and free pages included).
 */
export interface BodyCipher {
  /** The stored form of a body's JSON, or undefined to store it as is. */
  seal(json: string): string | undefined
  /** The JSON of a stored body (sealed or not). */
  open(stored: string): string
}

function fromRow(r: RawRequest, withBody = true, cipher?: BodyCipher): RequestRecord {
  return {
    requestId: r.request_id,
    name: r.name,
    userId: r.user_id,
    userName: r.user_name,
    status: r.status,
    lane: r.lane,
    clusterName: r.cluster_name,
    body: withBody && r.body ? JSON.parse(cipher ? cipher.open(r.body) : r.body) : undefined,
    result: r.result ? JSON.parse(r.result) : null,
    error: r.error ? JSON.parse(r.error) : null,
    statusMsg: r.status_msg,
    createdAt: Number(r.created_at),
    startedAt: num(r.started_at),
    finishedAt: num(r.finished_at),
    replicaId: r.replica_id,
    attempts: Number(r.attempts ?? 0),
    userRole: r.user_role ?? null,
  }
}

export interface ListFilter {
  statuses?: RequestStatus[]
  userId?: string
  clusterName?: string
  limit?: number
  idPrefixes?: string[]
  includeBody?: boolean
  /** Keyset paging: only rows strictly after this one in (created_at DESC, request_id DESC) order. */
  after?: { createdAt: number; requestId: string }
}

const LIST_COLS =
  'request_id, name, user_id, user_name, status, lane, cluster_name, NULL AS body, result, error, status_msg, created_at, started_at, finished_at, replica_id, attempts, user_role'

export type NewRequest = Omit<RequestRecord, 'result' | 'error' | 'startedAt' | 'finishedAt' | 'statusMsg' | 'replicaId' | 'attempts' | 'userRole'> & {
  userRole?: string | null
}

export class RequestRepo {
  /** `request_id` compared byte-wise (PostgreSQL's default collation may not sort '\uffff' last). */
  private idCol: string

  /** Set on the server thread (the only reader of bodies): seals bodies holding secrets. */
  cipher: BodyCipher | undefined

  constructor(private db: Db) {
    this.idCol = db.kind === 'postgres' ? 'request_id COLLATE "C"' : 'request_id'
  }

  async insert(r: NewRequest): Promise<void> {
    const json = JSON.stringify(r.body ?? {})
    await this.db.run(
      `INSERT INTO requests (request_id, name, user_id, user_name, user_role, status, lane, cluster_name, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [r.requestId, r.name, r.userId, r.userName, r.userRole ?? null, r.status, r.lane, r.clusterName, this.cipher?.seal(json) ?? json, r.createdAt],
    )
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    const r = await this.db.get<RawRequest>(`SELECT * FROM requests WHERE request_id = ?`, [id])
    return r ? fromRow(r, true, this.cipher) : undefined
  }

  async exists(id: string): Promise<boolean> {
    return (await this.db.get(`SELECT 1 AS x FROM requests WHERE request_id = ?`, [id])) !== undefined
  }

  /** Ids starting with `prefix` (at most `limit`, to detect ambiguity cheaply). */
  async idsByPrefix(prefix: string, limit = 10): Promise<string[]> {
    const rows = await this.db.all<{ request_id: string }>(
      `SELECT request_id FROM requests WHERE ${this.idCol} >= ? AND ${this.idCol} < ? ORDER BY ${this.idCol} LIMIT ?`,
      [prefix, prefix + '\uffff', limit],
    )
    return rows.map((r) => r.request_id)
  }

  async list(f: ListFilter = {}): Promise<RequestRecord[]> {
    const where: string[] = []
    const params: SqlValue[] = []
    if (f.statuses?.length) {
      where.push(`status IN (${f.statuses.map(() => '?').join(',')})`)
      params.push(...f.statuses)
    }
    if (f.userId) {
      where.push('user_id = ?')
      params.push(f.userId)
    }
    if (f.clusterName) {
      where.push('cluster_name = ?')
      params.push(f.clusterName)
    }
    if (f.idPrefixes?.length) {
      where.push(`(${f.idPrefixes.map(() => `(${this.idCol} >= ? AND ${this.idCol} < ?)`).join(' OR ')})`)
      for (const p of f.idPrefixes) params.push(p, p + '\uffff')
    }
    if (f.after) {
      where.push(`(created_at, request_id) < (?, ?)`)
      params.push(f.after.createdAt, f.after.requestId)
    }
    const cols = f.includeBody ? '*' : LIST_COLS
    // Newest first, by (created_at, request_id): keyset pages walk an index. Active requests are
    // few: on SQLite (no statistics) the unary + keeps the planner on the status index rather
    // than scanning a user's whole history in order.
    const order = f.statuses?.length && this.db.kind === 'sqlite' ? '+created_at DESC, +request_id DESC' : 'created_at DESC, request_id DESC'
    let sql = `SELECT ${cols} FROM requests${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY ${order}`
    if (f.limit && f.limit > 0) {
      sql += ' LIMIT ?'
      params.push(f.limit)
    }
    const rows = await this.db.all<RawRequest>(sql, params)
    return rows.map((r) => fromRow(r, !!f.includeBody, this.cipher))
  }

  /** PENDING → RUNNING; false when it was not PENDING any more (cancelled, claimed elsewhere). */
  async markRunning(id: string, replicaId: string | null, leaseUntil: number | null): Promise<boolean> {
    const r = await this.db.run(
      `UPDATE requests SET status = 'RUNNING', started_at = ?, replica_id = ?, lease_until = ?, attempts = attempts + 1 WHERE request_id = ? AND status = 'PENDING'`,
      [Date.now(), replicaId, leaseUntil, id],
    )
    return r.changes > 0
  }

  /**
   * Record the final state unless the request is already final (e.g. cancelled meanwhile). With
   * `replicaId`, only while that replica still holds it (its lease was not taken over).
   */
  async finish(id: string, status: RequestStatus, result: unknown, error: WireError | null, replicaId?: string): Promise<boolean> {
    const r = await this.db.run(
      `UPDATE requests SET status = ?, result = ?, error = ?, finished_at = ?, lease_until = NULL WHERE request_id = ? AND ${
        replicaId === undefined ? `status IN ('PENDING', 'RUNNING')` : `status = 'RUNNING' AND replica_id = ?`
      }`,
      [status, result === undefined ? null : JSON.stringify(result), error ? JSON.stringify(error) : null, Date.now(), id, ...(replicaId === undefined ? [] : [replicaId])],
    )
    return r.changes > 0
  }

  /**
   * Several replicas: atomically take up to `limit` of the oldest PENDING requests of a lane for
   * `replicaId`, RUNNING with a lease until `leaseUntil`. Concurrent claimers skip each other's
   * rows (FOR UPDATE SKIP LOCKED), so every request is claimed once.
   */
  async claim(lane: Lane, replicaId: string, leaseUntil: number, limit: number): Promise<RequestRecord[]> {
    const now = Date.now()
    let rows: RawRequest[]
    if (this.db.kind === 'postgres') {
      // The candidate rows are picked (and locked) once, in a materialized CTE: written as
      // `WHERE request_id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)` PostgreSQL may run the
      // subquery more than once and take more than `limit` rows.
      rows = await this.db.all<RawRequest>(
        `WITH picked AS MATERIALIZED (
           SELECT request_id FROM requests WHERE status = 'PENDING' AND lane = ? ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED
         )
         UPDATE requests r SET status = 'RUNNING', started_at = ?, replica_id = ?, lease_until = ?, attempts = r.attempts + 1
         FROM picked WHERE r.request_id = picked.request_id AND r.status = 'PENDING'
         RETURNING r.*`,
        [lane, limit, now, replicaId, leaseUntil],
      )
    } else {
      // One statement is atomic in SQLite; no explicit transaction, which would hold the write
      // lock across an await and stall other connections in this thread.
      rows = await this.db.all<RawRequest>(
        `UPDATE requests SET status = 'RUNNING', started_at = ?, replica_id = ?, lease_until = ?, attempts = attempts + 1
         WHERE request_id IN (SELECT request_id FROM requests WHERE status = 'PENDING' AND lane = ? ORDER BY created_at LIMIT ?) AND status = 'PENDING'
         RETURNING *`,
        [now, replicaId, leaseUntil, lane, limit],
      )
    }
    return rows.map((r) => fromRow(r, true, this.cipher)).sort((a, b) => a.createdAt - b.createdAt)
  }

  /** Extend the lease of every request `replicaId` runs; returns the ids it still holds. */
  async renewLeases(replicaId: string, leaseUntil: number): Promise<string[]> {
    const rows = await this.db.all<{ request_id: string }>(
      `UPDATE requests SET lease_until = ? WHERE replica_id = ? AND status = 'RUNNING' RETURNING request_id`,
      [leaseUntil, replicaId],
    )
    return rows.map((r) => r.request_id)
  }

  /** Expire at once the leases of `replicaId` (it is shutting down, or restarted under that id). */
  async releaseLeases(replicaId: string): Promise<number> {
    return (await this.db.run(`UPDATE requests SET lease_until = 0 WHERE replica_id = ? AND status = 'RUNNING'`, [replicaId])).changes
  }

  /** RUNNING requests whose replica stopped renewing their lease before `now`. */
  async expiredLeases(now: number): Promise<RequestRecord[]> {
    const rows = await this.db.all<RawRequest>(`SELECT * FROM requests WHERE status = 'RUNNING' AND lease_until IS NOT NULL AND lease_until < ? ORDER BY created_at`, [now])
    return rows.map((r) => fromRow(r, true, this.cipher))
  }

  /** Take over an expired lease: back to PENDING (to re-run) if it is still expired. */
  async requeueExpired(id: string, now: number, msg: string): Promise<boolean> {
    const r = await this.db.run(
      `UPDATE requests SET status = 'PENDING', status_msg = ?, replica_id = NULL, lease_until = NULL WHERE request_id = ? AND status = 'RUNNING' AND lease_until < ?`,
      [msg, id, now],
    )
    return r.changes > 0
  }

  /** Take over an expired lease: FAILED with `error`, if it is still expired. */
  async failExpired(id: string, now: number, error: WireError): Promise<boolean> {
    const r = await this.db.run(
      `UPDATE requests SET status = 'FAILED', error = ?, finished_at = ?, lease_until = NULL WHERE request_id = ? AND status = 'RUNNING' AND lease_until < ?`,
      [JSON.stringify(error), Date.now(), id, now],
    )
    return r.changes > 0
  }

  /** Current status of each of `ids` that still exists. */
  async statuses(ids: string[]): Promise<Map<string, RequestStatus>> {
    const out = new Map<string, RequestStatus>()
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500)
      const rows = await this.db.all<{ request_id: string; status: RequestStatus }>(
        `SELECT request_id, status FROM requests WHERE request_id IN (${part.map(() => '?').join(',')})`,
        part,
      )
      for (const r of rows) out.set(r.request_id, r.status)
    }
    return out
  }

  async requeue(id: string, msg: string): Promise<void> {
    await this.db.run(`UPDATE requests SET status = 'PENDING', status_msg = ?, replica_id = NULL, lease_until = NULL WHERE request_id = ?`, [msg, id])
  }

  async setStatusMsg(id: string, msg: string | null): Promise<void> {
    await this.db.run(`UPDATE requests SET status_msg = ? WHERE request_id = ?`, [msg, id])
  }

  /**
   * Delete up to `limit` finished requests older than `cutoff` (one short statement, so a big
   * backlog is collected in many small steps that never hold the write lock for long).
   */
  async deleteFinishedBefore(cutoff: number, limit = 500): Promise<string[]> {
    const rows = await this.db.all<{ request_id: string }>(
      `DELETE FROM requests WHERE request_id IN (
         SELECT request_id FROM requests WHERE finished_at < ? AND status IN ('SUCCEEDED', 'FAILED', 'CANCELLED') LIMIT ?
       ) RETURNING request_id`,
      [cutoff, limit],
    )
    return rows.map((r) => r.request_id)
  }

  async active(): Promise<RequestRecord[]> {
    return this.list({ statuses: ['PENDING', 'RUNNING'], includeBody: true })
  }
}
