// The services, service_versions, service_replicas and service_tokens tables: recording a
// service (`sky serve up`), new versions (`update`), the controller's fenced writes of replicas
// and service status, and endpoint tokens (stored hashed).
import type { AutoscalerState, UpdateMode } from '../serve/autoscaler'
import type { ReplicaStatus, ServiceStatus } from '../serve/status'
import type { ReplicaRecord, ServiceRecord, ServiceVersion, TokenRecord } from '../serve/types'
import { isUniqueViolation, type Db, type Row, type SqlValue } from './db'
import { fenceSql, type Fence } from './leases'
import type { UploadRefs } from '../uploads/sources'

const json = <T>(v: unknown, d: T): T => (typeof v === 'string' && v ? (JSON.parse(v) as T) : d)
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v))

function serviceFromRow(r: Row): ServiceRecord {
  return {
    name: String(r.name),
    userId: String(r.user_id),
    userName: String(r.user_name),
    userRole: (r.user_role as string | null) ?? null,
    workspace: String(r.workspace),
    status: r.status as ServiceStatus,
    lbHost: String(r.lb_host),
    lbPort: Number(r.lb_port),
    currentVersion: Number(r.current_version),
    activeVersions: json<number[]>(r.active_versions, []),
    nextReplicaId: Number(r.next_replica_id),
    downRequested: Number(r.down_requested) === 1,
    purge: Number(r.purge) === 1,
    uptime: numOrNull(r.uptime),
    autoscaler: json<AutoscalerState | null>(r.autoscaler, null),
    failure: (r.failure as string | null) ?? null,
    config: json<Record<string, unknown> | null>(r.config, null),
    requestId: (r.request_id as string | null) ?? null,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  }
}

function replicaFromRow(r: Row): ReplicaRecord {
  return {
    service: String(r.service),
    replicaId: Number(r.replica_id),
    version: Number(r.version),
    status: r.status as ReplicaStatus,
    clusterName: String(r.cluster_name),
    clusterLive: Number(r.cluster_live) === 1,
    url: (r.url as string | null) ?? null,
    cloud: (r.cloud as string | null) ?? null,
    region: (r.region as string | null) ?? null,
    isSpot: Number(r.is_spot) === 1,
    agentJobId: numOrNull(r.agent_job_id),
    network: json(r.network, null),
    launchedAt: numOrNull(r.launched_at),
    firstReadyAt: numOrNull(r.first_ready_at),
    failingSince: numOrNull(r.failing_since),
    removeRequested: Number(r.remove_requested) === 1,
    failure: (r.failure as string | null) ?? null,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  }
}

export type ServicePatch = Partial<Pick<ServiceRecord, 'status' | 'currentVersion' | 'activeVersions' | 'uptime' | 'autoscaler' | 'failure' | 'lbPort'>>
export type ReplicaPatch = Partial<
  Pick<ReplicaRecord, 'status' | 'clusterLive' | 'url' | 'cloud' | 'region' | 'isSpot' | 'agentJobId' | 'network' | 'launchedAt' | 'firstReadyAt' | 'failingSince' | 'failure' | 'removeRequested'>
>

const SERVICE_COLS: Record<keyof ServicePatch, string> = {
  status: 'status',
  currentVersion: 'current_version',
  activeVersions: 'active_versions',
  uptime: 'uptime',
  autoscaler: 'autoscaler',
  failure: 'failure',
  lbPort: 'lb_port',
}
const REPLICA_COLS: Record<keyof ReplicaPatch, string> = {
  status: 'status',
  clusterLive: 'cluster_live',
  url: 'url',
  cloud: 'cloud',
  region: 'region',
  isSpot: 'is_spot',
  agentJobId: 'agent_job_id',
  network: 'network',
  launchedAt: 'launched_at',
  firstReadyAt: 'first_ready_at',
  failingSince: 'failing_since',
  failure: 'failure',
  removeRequested: 'remove_requested',
}

function sets(patch: Record<string, unknown>, cols: Record<string, string>): { sql: string[]; params: SqlValue[] } {
  const sql: string[] = []
  const params: SqlValue[] = []
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || !cols[k]) continue
    sql.push(`${cols[k]} = ?`)
    params.push(typeof v === 'boolean' ? (v ? 1 : 0) : v !== null && typeof v === 'object' ? JSON.stringify(v) : (v as SqlValue))
  }
  return { sql, params }
}

export interface NewService {
  name: string
  userId: string
  userName: string
  userRole: string | null
  lbHost: string
  lbPort: number
  taskYaml: string
  uploads?: UploadRefs | null
  config: Record<string, unknown> | null
  requestId: string | null
}

export class ServiceRepo {
  constructor(private db: Db) {}

  /**
   * Record a service and its version 1. Returns 'exists' when the name is taken (by another
   * request), 'port' when the load balancer port is, and the record otherwise (also when this
   * very request recorded it before a crash).
   */
  async insert(s: NewService): Promise<ServiceRecord | 'exists' | 'port'> {
    const now = Date.now()
    try {
      await this.db.tx(async (t) => {
        await t.run(
          `INSERT INTO services (name, user_id, user_name, user_role, status, lb_host, lb_port, config, request_id, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'CONTROLLER_INIT', ?, ?, ?, ?, ?, ?)`,
          [s.name, s.userId, s.userName, s.userRole, s.lbHost, s.lbPort, s.config ? JSON.stringify(s.config) : null, s.requestId, now, now],
        )
        await t.run(`INSERT INTO service_versions (service, version, task_yaml, mode, uploads, created_at) VALUES (?, 1, ?, 'rolling', ?, ?)`, [
          s.name,
          s.taskYaml,
          s.uploads ? JSON.stringify(s.uploads) : null,
          now,
        ])
      })
    } catch (e) {
      if (!isUniqueViolation(e)) throw e
      const had = await this.get(s.name)
      if (had && s.requestId && had.requestId === s.requestId) return had
      return had ? 'exists' : 'port'
    }
    return (await this.get(s.name))!
  }

  async get(name: string): Promise<ServiceRecord | undefined> {
    const r = await this.db.get<Row>(`SELECT * FROM services WHERE name = ?`, [name])
    return r ? serviceFromRow(r) : undefined
  }

  async list(names?: string[]): Promise<ServiceRecord[]> {
    if (names && names.length === 0) return []
    const rows = names
      ? await this.db.all<Row>(`SELECT * FROM services WHERE name IN (${names.map(() => '?').join(',')}) ORDER BY created_at`, names)
      : await this.db.all<Row>(`SELECT * FROM services ORDER BY created_at`)
    return rows.map(serviceFromRow)
  }

  async names(): Promise<string[]> {
    return (await this.db.all<{ name: string }>(`SELECT name FROM services`)).map((r) => r.name)
  }

  /** Load balancer ports in use by any service (so a new one picks another). */
  async ports(): Promise<Set<number>> {
    return new Set((await this.db.all<{ lb_port: number }>(`SELECT lb_port FROM services`)).map((r) => Number(r.lb_port)))
  }

  async update(name: string, patch: ServicePatch, fence?: Fence): Promise<boolean> {
    const s = sets(patch as Record<string, unknown>, SERVICE_COLS)
    const f = fenceSql(fence)
    const r = await this.db.run(`UPDATE services SET ${[...s.sql, 'updated_at = ?'].join(', ')} WHERE name = ?${f.sql}`, [...s.params, Date.now(), name, ...f.params])
    return r.changes > 0
  }

  /** Ask the controller to tear the service down (and with purge, forget it even if cleanup fails). */
  async requestDown(name: string, purge: boolean): Promise<boolean> {
    const r = await this.db.run(`UPDATE services SET down_requested = 1, purge = CASE WHEN purge = 1 THEN 1 ELSE ? END, updated_at = ? WHERE name = ?`, [purge ? 1 : 0, Date.now(), name])
    return r.changes > 0
  }

  /** Forget a service and everything under it (after its replicas and load balancer are gone). */
  async remove(name: string, fence?: Fence): Promise<boolean> {
    return this.db.tx(async (t) => {
      const f = fenceSql(fence)
      const r = await t.run(`DELETE FROM services WHERE name = ?${f.sql}`, [name, ...f.params])
      if (!r.changes) return false
      for (const table of ['service_versions', 'service_replicas', 'service_tokens']) await t.run(`DELETE FROM ${table} WHERE service = ?`, [name])
      return true
    })
  }

  // ── Versions ───────────────────────────────────────────────────────────────────────────────

  /** Add the next version and make it current; returns its number. */
  async addVersion(name: string, taskYaml: string, mode: UpdateMode, uploads: UploadRefs | null = null): Promise<number> {
    return this.db.tx(async (t) => {
      const row = await t.get<{ v: number }>(`SELECT current_version AS v FROM services WHERE name = ?`, [name])
      if (!row) throw new Error(`service '${name}' does not exist`)
      const version = Number(row.v) + 1
      await t.run(`INSERT INTO service_versions (service, version, task_yaml, mode, uploads, created_at) VALUES (?, ?, ?, ?, ?, ?)`, [
        name,
        version,
        taskYaml,
        mode,
        uploads ? JSON.stringify(uploads) : null,
        Date.now(),
      ])
      await t.run(`UPDATE services SET current_version = ?, updated_at = ? WHERE name = ?`, [version, Date.now(), name])
      return version
    })
  }

  async versions(name: string): Promise<ServiceVersion[]> {
    const rows = await this.db.all<Row>(`SELECT * FROM service_versions WHERE service = ? ORDER BY version`, [name])
    return rows.map((r) => ({
      service: String(r.service),
      version: Number(r.version),
      taskYaml: String(r.task_yaml),
      mode: r.mode as UpdateMode,
      uploads: json<UploadRefs | null>(r.uploads, null),
      createdAt: Number(r.created_at),
    }))
  }

  // ── Replicas ───────────────────────────────────────────────────────────────────────────────

  async replicas(name?: string): Promise<ReplicaRecord[]> {
    const rows = name
      ? await this.db.all<Row>(`SELECT * FROM service_replicas WHERE service = ? ORDER BY replica_id`, [name])
      : await this.db.all<Row>(`SELECT * FROM service_replicas ORDER BY service, replica_id`)
    return rows.map(replicaFromRow)
  }

  /** A new PENDING replica of `version` with the service's next id (fenced). */
  async addReplica(name: string, version: number, clusterPrefix: string, isSpot: boolean, fence?: Fence): Promise<ReplicaRecord | undefined> {
    return this.db.tx(async (t) => {
      const f = fenceSql(fence)
      const row = await t.get<{ id: number }>(`SELECT next_replica_id AS id FROM services WHERE name = ?${f.sql}`, [name, ...f.params])
      if (!row) return undefined
      const id = Number(row.id)
      const now = Date.now()
      await t.run(`UPDATE services SET next_replica_id = ? WHERE name = ?`, [id + 1, name])
      await t.run(
        `INSERT INTO service_replicas (service, replica_id, version, status, cluster_name, is_spot, created_at, updated_at) VALUES (?, ?, ?, 'PENDING', ?, ?, ?, ?)`,
        [name, id, version, `${clusterPrefix}-${id}`, isSpot ? 1 : 0, now, now],
      )
      return replicaFromRow((await t.get<Row>(`SELECT * FROM service_replicas WHERE service = ? AND replica_id = ?`, [name, id]))!)
    })
  }

  async updateReplica(name: string, replicaId: number, patch: ReplicaPatch, fence?: Fence): Promise<boolean> {
    const s = sets(patch as Record<string, unknown>, REPLICA_COLS)
    const f = fenceSql(fence)
    const r = await this.db.run(`UPDATE service_replicas SET ${[...s.sql, 'updated_at = ?'].join(', ')} WHERE service = ? AND replica_id = ?${f.sql}`, [
      ...s.params,
      Date.now(),
      name,
      replicaId,
      ...f.params,
    ])
    return r.changes > 0
  }

  async removeReplica(name: string, replicaId: number, fence?: Fence): Promise<boolean> {
    const f = fenceSql(fence)
    const r = await this.db.run(`DELETE FROM service_replicas WHERE service = ? AND replica_id = ?${f.sql}`, [name, replicaId, ...f.params])
    return r.changes > 0
  }

  // ── Tokens ─────────────────────────────────────────────────────────────────────────────────

  async addToken(t: Omit<TokenRecord, 'revokedAt'>): Promise<boolean> {
    try {
      await this.db.run(`INSERT INTO service_tokens (service, name, hash, hint, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`, [t.service, t.name, t.hash, t.hint, t.createdBy, t.createdAt])
      return true
    } catch (e) {
      if (isUniqueViolation(e)) return false
      throw e
    }
  }

  async tokens(name: string): Promise<TokenRecord[]> {
    const rows = await this.db.all<Row>(`SELECT * FROM service_tokens WHERE service = ? ORDER BY created_at, name`, [name])
    return rows.map((r) => ({
      service: String(r.service),
      name: String(r.name),
      hash: String(r.hash),
      hint: String(r.hint),
      createdBy: String(r.created_by),
      createdAt: Number(r.created_at),
      revokedAt: numOrNull(r.revoked_at),
    }))
  }

  async revokeToken(name: string, tokenName: string): Promise<boolean> {
    const r = await this.db.run(`UPDATE service_tokens SET revoked_at = ? WHERE service = ? AND name = ? AND revoked_at IS NULL`, [Date.now(), name, tokenName])
    return r.changes > 0
  }
}
