// The clusters table: one row per cluster this API server manages. The row is written (status
// INIT, with the launched resources) before any provider is asked for anything, so a crash at any
// point leaves a record that names what may exist.
import type { LaunchedResources } from '../provision/types'
import type { Db, SqlValue } from './db'

export type ClusterStatus = 'INIT' | 'UP' | 'STOPPED'

export interface ClusterRecord {
  name: string
  userId: string
  userName: string
  status: ClusterStatus
  /** {cloud, region, zone} where it runs. */
  infra: { cloud: string; region?: string; zone?: string }
  /** The launched resources (instance type, cpus, memory, accelerator...) as display data. */
  resources: Record<string, unknown>
  numNodes: number
  /** Provisioner-specific facts needed to reach the cluster (node IPs, runtime dir, ...). */
  handle: Record<string, unknown> | null
  autostopMinutes: number
  autostopDown: boolean
  launchedAt: number
  lastUse: number | null
  lastCommand: string | null
  statusUpdatedAt: number
  clusterHash: string
  workspace: string
  /** What was (or is being) asked of the provider; start and recovery re-request exactly this. */
  launched: LaunchedResources | null
  /** The name provider resources carry (tags, directories); null on rows from before v10. */
  nameOnCloud: string | null
  /** Why the status is what it is (INIT after a failed health check, ...). */
  statusReason: string | null
}

interface Raw {
  name: string
  user_id: string
  user_name: string
  status: ClusterStatus
  infra: string
  resources: string
  num_nodes: number
  handle: string | null
  autostop_minutes: number
  autostop_down: number
  launched_at: number | bigint
  last_use: number | bigint | null
  last_command: string | null
  status_updated_at: number | bigint
  cluster_hash: string
  workspace: string
  launched: string | null
  name_on_cloud: string | null
  status_reason: string | null
}

function fromRow(r: Raw): ClusterRecord {
  return {
    name: r.name,
    userId: r.user_id,
    userName: r.user_name,
    status: r.status,
    infra: JSON.parse(r.infra),
    resources: JSON.parse(r.resources),
    numNodes: Number(r.num_nodes),
    handle: r.handle ? JSON.parse(r.handle) : null,
    autostopMinutes: Number(r.autostop_minutes),
    autostopDown: !!Number(r.autostop_down),
    launchedAt: Number(r.launched_at),
    lastUse: r.last_use === null ? null : Number(r.last_use),
    lastCommand: r.last_command,
    statusUpdatedAt: Number(r.status_updated_at),
    clusterHash: r.cluster_hash,
    workspace: r.workspace,
    launched: r.launched ? JSON.parse(r.launched) : null,
    nameOnCloud: r.name_on_cloud ?? null,
    statusReason: r.status_reason ?? null,
  }
}

export class ClusterRepo {
  constructor(private db: Db) {}

  async get(name: string): Promise<ClusterRecord | undefined> {
    const r = await this.db.get<Raw>(`SELECT * FROM clusters WHERE name = ?`, [name])
    return r ? fromRow(r) : undefined
  }

  async list(opts: { userId?: string } = {}): Promise<ClusterRecord[]> {
    const params: SqlValue[] = []
    let sql = `SELECT * FROM clusters`
    if (opts.userId) {
      sql += ` WHERE user_id = ?`
      params.push(opts.userId)
    }
    sql += ` ORDER BY launched_at DESC`
    return (await this.db.all<Raw>(sql, params)).map(fromRow)
  }

  async upsert(c: ClusterRecord): Promise<void> {
    await this.db.run(
      `INSERT INTO clusters (name, user_id, user_name, status, infra, resources, num_nodes, handle, autostop_minutes, autostop_down, launched_at, last_use, last_command, status_updated_at, cluster_hash, workspace, launched, name_on_cloud, status_reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET user_id = excluded.user_id, user_name = excluded.user_name, status = excluded.status,
         infra = excluded.infra, resources = excluded.resources, num_nodes = excluded.num_nodes, handle = excluded.handle,
         autostop_minutes = excluded.autostop_minutes, autostop_down = excluded.autostop_down, launched_at = excluded.launched_at,
         last_use = excluded.last_use, last_command = excluded.last_command, status_updated_at = excluded.status_updated_at,
         cluster_hash = excluded.cluster_hash, workspace = excluded.workspace, launched = excluded.launched,
         name_on_cloud = excluded.name_on_cloud, status_reason = excluded.status_reason`,
      [
        c.name,
        c.userId,
        c.userName,
        c.status,
        JSON.stringify(c.infra),
        JSON.stringify(c.resources),
        c.numNodes,
        c.handle ? JSON.stringify(c.handle) : null,
        c.autostopMinutes,
        c.autostopDown ? 1 : 0,
        c.launchedAt,
        c.lastUse,
        c.lastCommand,
        c.statusUpdatedAt,
        c.clusterHash,
        c.workspace,
        c.launched ? JSON.stringify(c.launched) : null,
        c.nameOnCloud,
        c.statusReason,
      ],
    )
  }

  async setStatus(name: string, status: ClusterStatus, reason: string | null = null): Promise<void> {
    await this.db.run(`UPDATE clusters SET status = ?, status_reason = ?, status_updated_at = ? WHERE name = ?`, [status, reason, Date.now(), name])
  }

  async setAutostop(name: string, minutes: number, down: boolean): Promise<void> {
    await this.db.run(`UPDATE clusters SET autostop_minutes = ?, autostop_down = ? WHERE name = ?`, [minutes, down ? 1 : 0, name])
  }

  async touch(name: string): Promise<void> {
    await this.db.run(`UPDATE clusters SET last_use = ? WHERE name = ?`, [Date.now(), name])
  }

  async delete(name: string): Promise<void> {
    await this.db.run(`DELETE FROM clusters WHERE name = ?`, [name])
  }
}
