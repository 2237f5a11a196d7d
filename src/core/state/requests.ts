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
}

const num = (v: number | bigint | null): number | null => (v === null || v === undefined ? null : Number(v))

function fromRow(r: RawRequest, withBody = true): RequestRecord {
  return {
    requestId: r.request_id,
    name: r.name,
    userId: r.user_id,
    userName: r.user_name,
    status: r.status,
    lane: r.lane,
    clusterName: r.cluster_name,
    body: withBody && r.body ? JSON.parse(r.body) : undefined,
    result: r.result ? JSON.parse(r.result) : null,
    error: r.error ? JSON.parse(r.error) : null,
    statusMsg: r.status_msg,
    createdAt: Number(r.created_at),
    startedAt: num(r.started_at),
    finishedAt: num(r.finished_at),
    replicaId: r.replica_id,
    attempts: Number(r.attempts ?? 0),
  }
}

export interface ListFilter {
  statuses?: RequestStatus[]
  userId?: string
  clusterName?: string
  limit?: number
  idPrefixes?: string[]
  includeBody?: boolean
}

export class RequestRepo {
  constructor(private db: Db) {}

  async insert(r: Omit<RequestRecord, 'result' | 'error' | 'startedAt' | 'finishedAt' | 'statusMsg' | 'replicaId' | 'attempts'>): Promise<void> {
    await this.db.run(
      `INSERT INTO requests (request_id, name, user_id, user_name, status, lane, cluster_name, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [r.requestId, r.name, r.userId, r.userName, r.status, r.lane, r.clusterName, JSON.stringify(r.body ?? {}), r.createdAt],
    )
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    const r = await this.db.get<RawRequest>(`SELECT * FROM requests WHERE request_id = ?`, [id])
    return r ? fromRow(r) : undefined
  }

  /** Ids starting with `prefix` (at most `limit`, to detect ambiguity cheaply). */
  async idsByPrefix(prefix: string, limit = 10): Promise<string[]> {
    const rows = await this.db.all<{ request_id: string }>(
      `SELECT request_id FROM requests WHERE request_id >= ? AND request_id < ? ORDER BY request_id LIMIT ?`,
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
      where.push(`(${f.idPrefixes.map(() => '(request_id >= ? AND request_id < ?)').join(' OR ')})`)
      for (const p of f.idPrefixes) params.push(p, p + '\uffff')
    }
    const cols = f.includeBody
      ? '*'
      : 'request_id, name, user_id, user_name, status, lane, cluster_name, NULL AS body, result, error, status_msg, created_at, started_at, finished_at, replica_id, attempts'
    let sql = `SELECT ${cols} FROM requests${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC`
    if (f.limit && f.limit > 0) {
      sql += ' LIMIT ?'
      params.push(f.limit)
    }
    const rows = await this.db.all<RawRequest>(sql, params)
    return rows.map((r) => fromRow(r, !!f.includeBody))
  }

  /** PENDING → RUNNING; false when it was not PENDING any more (cancelled, claimed elsewhere). */
  async markRunning(id: string, replicaId: string | null, leaseUntil: number | null): Promise<boolean> {
    const r = await this.db.run(
      `UPDATE requests SET status = 'RUNNING', started_at = ?, replica_id = ?, lease_until = ?, attempts = attempts + 1 WHERE request_id = ? AND status = 'PENDING'`,
      [Date.now(), replicaId, leaseUntil, id],
    )
    return r.changes > 0
  }

  /** Record the final state unless the request is already final (e.g. cancelled meanwhile). */
  async finish(id: string, status: RequestStatus, result: unknown, error: WireError | null): Promise<boolean> {
    const r = await this.db.run(
      `UPDATE requests SET status = ?, result = ?, error = ?, finished_at = ?, lease_until = NULL WHERE request_id = ? AND status IN ('PENDING', 'RUNNING')`,
      [status, result === undefined ? null : JSON.stringify(result), error ? JSON.stringify(error) : null, Date.now(), id],
    )
    return r.changes > 0
  }

  async requeue(id: string, msg: string): Promise<void> {
    await this.db.run(`UPDATE requests SET status = 'PENDING', status_msg = ?, replica_id = NULL, lease_until = NULL WHERE request_id = ?`, [msg, id])
  }

  async setStatusMsg(id: string, msg: string | null): Promise<void> {
    await this.db.run(`UPDATE requests SET status_msg = ? WHERE request_id = ?`, [msg, id])
  }

  async deleteFinishedBefore(cutoff: number): Promise<string[]> {
    const rows = await this.db.all<{ request_id: string }>(
      `SELECT request_id FROM requests WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELLED') AND finished_at < ?`,
      [cutoff],
    )
    if (rows.length) await this.db.run(`DELETE FROM requests WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELLED') AND finished_at < ?`, [cutoff])
    return rows.map((r) => r.request_id)
  }

  async active(): Promise<RequestRecord[]> {
    return this.list({ statuses: ['PENDING', 'RUNNING'], includeBody: true })
  }
}
