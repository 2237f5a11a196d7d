// Reads and writes of the jobs table (plus the small kv and daemon tables). Status changes go
// through `transition`, which only moves a job that is still in one of the expected statuses, so
// a concurrent `cancel` is never overwritten by the daemon and vice versa.
import type { Database } from 'bun:sqlite'
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Demand, JobStatus, RankAlloc, RankProc, SubmitSpec } from './types'

/**
 * The parts of a submission needed to (re)start the job. Secret values never enter the database
 * (nor its WAL): `secrets` holds their names there, and the values live in a 0600 file beside it
 * (secrets/<id>.json) that is deleted once the job can no longer start.
 */
export interface JobCommands {
  setup: string | null
  run: string | null
  envs: Record<string, string>
  secrets: Record<string, string>
  workdir: string | null
}

export interface JobRow {
  id: number
  name: string | null
  user: string
  userHash: string
  status: JobStatus
  priority: number
  numNodes: number
  demand: Demand
  resources: string
  commands: JobCommands
  taskId: string
  submittedAt: number
  startedAt: number | null
  endedAt: number | null
  exitCode: number | null
  exitCodes: (number | null)[] | null
  alloc: RankAlloc[] | null
  procs: RankProc[] | null
  phase: 'setup' | 'run' | null
  failure: string | null
  idempotencyKey: string | null
}

interface RawRow {
  id: number
  name: string | null
  user_name: string
  user_hash: string
  status: string
  priority: number
  num_nodes: number
  demand: string
  resources: string
  spec: string
  task_id: string
  submitted_at: number
  started_at: number | null
  ended_at: number | null
  exit_code: number | null
  exit_codes: string | null
  alloc: string | null
  procs: string | null
  phase: string | null
  failure: string | null
  idem_key: string | null
}

const json = <T>(s: string | null): T | null => (s ? (JSON.parse(s) as T) : null)

function toRow(r: RawRow): JobRow {
  return {
    id: r.id,
    name: r.name,
    user: r.user_name,
    userHash: r.user_hash,
    status: r.status as JobStatus,
    priority: r.priority,
    numNodes: r.num_nodes,
    demand: json<Demand>(r.demand) ?? {},
    resources: r.resources,
    commands: json<JobCommands>(r.spec)!,
    taskId: r.task_id,
    submittedAt: r.submitted_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    exitCode: r.exit_code,
    exitCodes: json(r.exit_codes),
    alloc: json(r.alloc),
    procs: json(r.procs),
    phase: r.phase as JobRow['phase'],
    failure: r.failure,
    idempotencyKey: r.idem_key ?? null,
  }
}

/** The job submitted with this idempotency key, if any. */
export function jobByKey(db: Database, key: string): JobRow | null {
  const r = db.query('SELECT * FROM jobs WHERE idem_key = $key').get({ key }) as RawRow | null
  return r ? toRow(r) : null
}

/**
 * Insert a PENDING job; with an idempotency key already used, nothing is inserted and the first
 * job's id comes back (`existing`), whatever its status.
 */
export function insertJob(
  db: Database,
  spec: SubmitSpec,
  resources: string,
  makeTaskId: (id: number, submittedAt: number) => string,
  now = Date.now(),
): { id: number; existing: boolean } {
  const names = Object.fromEntries(Object.keys(spec.secrets).map((k) => [k, '']))
  const commands: JobCommands = { setup: spec.setup, run: spec.run, envs: spec.envs, secrets: names, workdir: spec.workdir }
  // IMMEDIATE: two submissions with one key serialize here; the unique index backs it up.
  return db.transaction((): { id: number; existing: boolean } => {
    if (spec.idempotencyKey) {
      const prev = jobByKey(db, spec.idempotencyKey)
      if (prev) return { id: prev.id, existing: true }
    }
    const res = db
      .query(
        `INSERT INTO jobs (name, user_name, user_hash, status, priority, num_nodes, demand, resources, spec, submitted_at, idem_key)
         VALUES ($name, $user, $hash, 'PENDING', $priority, $nodes, $demand, $resources, $spec, $now, $key)`,
      )
      .run({
        name: spec.name,
        user: spec.user,
        hash: spec.userHash,
        priority: spec.priority,
        nodes: spec.numNodes,
        demand: JSON.stringify(spec.demand),
        resources,
        spec: JSON.stringify(commands),
        now,
        key: spec.idempotencyKey ?? null,
      })
    const id = Number(res.lastInsertRowid)
    db.query('UPDATE jobs SET task_id = $t WHERE id = $id').run({ t: spec.taskId ?? makeTaskId(id, now), id })
    // Before the row commits: a job is never there without its secrets.
    if (Object.keys(spec.secrets).length) writeJobSecrets(db, id, spec.secrets)
    return { id, existing: false }
  }).immediate()
}

/** Where job `id`'s secret values are kept (beside the agent's database). */
export function jobSecretsPath(db: Database, id: number): string {
  return join(dirname(db.filename), 'secrets', `${id}.json`)
}

function writeJobSecrets(db: Database, id: number, secrets: Record<string, string>): void {
  const file = jobSecretsPath(db, id)
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const tmp = `${file}.tmp`
  writeFileSync(tmp, JSON.stringify(secrets), { mode: 0o600 })
  renameSync(tmp, file)
}

/** The job with its secret values filled in (from their file), to start its processes. */
export function withSecrets(db: Database, job: JobRow): JobRow {
  if (!Object.keys(job.commands.secrets).length) return job
  let values: Record<string, string> = {}
  try {
    values = JSON.parse(readFileSync(jobSecretsPath(db, job.id), 'utf8')) as Record<string, string>
  } catch {
    // Gone (the job ended): the names stay, without values.
  }
  return { ...job, commands: { ...job.commands, secrets: { ...job.commands.secrets, ...values } } }
}

export function getJob(db: Database, id: number): JobRow | null {
  const r = db.query('SELECT * FROM jobs WHERE id = $id').get({ id }) as RawRow | null
  return r ? toRow(r) : null
}

export function getStatus(db: Database, id: number): JobStatus | null {
  const r = db.query('SELECT status FROM jobs WHERE id = $id').get({ id }) as { status: JobStatus } | null
  return r?.status ?? null
}

export function latestJobId(db: Database): number | null {
  const r = db.query('SELECT MAX(id) AS id FROM jobs').get() as { id: number | null }
  return r.id
}

export function listJobs(db: Database, opts: { userHash?: string; skipFinished?: boolean } = {}): JobRow[] {
  const where: string[] = []
  const params: Record<string, string> = {}
  if (opts.userHash) {
    where.push('user_hash = $hash')
    params.hash = opts.userHash
  }
  if (opts.skipFinished) where.push("status IN ('INIT', 'PENDING', 'SETTING_UP', 'RUNNING')")
  const sql = `SELECT * FROM jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC`
  return (db.query(sql).all(params) as RawRow[]).map(toRow)
}

/** Jobs in `statuses`, in scheduling order (priority, then FIFO). */
export function jobsWithStatus(db: Database, statuses: readonly JobStatus[], limit = -1): JobRow[] {
  const list = statuses.map((s) => `'${s}'`).join(', ')
  return (db.query(`SELECT * FROM jobs WHERE status IN (${list}) ORDER BY priority DESC, id ASC LIMIT ${limit}`).all() as RawRow[]).map(toRow)
}

/** Ids of SETTING_UP / RUNNING jobs. */
export function runningIds(db: Database): Set<number> {
  const rows = db.query("SELECT id FROM jobs WHERE status IN ('SETTING_UP', 'RUNNING')").all() as { id: number }[]
  return new Set(rows.map((r) => r.id))
}

export function countActive(db: Database): number {
  const r = db.query("SELECT COUNT(*) AS n FROM jobs WHERE status IN ('INIT', 'PENDING', 'SETTING_UP', 'RUNNING')").get() as { n: number }
  return r.n
}

export function statusCounts(db: Database): Record<string, number> {
  const rows = db.query('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status').all() as { status: string; n: number }[]
  return Object.fromEntries(rows.map((r) => [r.status, r.n]))
}

export interface TransitionFields {
  startedAt?: number
  endedAt?: number
  exitCode?: number | null
  exitCodes?: (number | null)[]
  alloc?: RankAlloc[] | null
  procs?: RankProc[] | null
  phase?: 'setup' | 'run' | null
  failure?: string | null
}

const COLUMN: Record<keyof TransitionFields, string> = {
  startedAt: 'started_at',
  endedAt: 'ended_at',
  exitCode: 'exit_code',
  exitCodes: 'exit_codes',
  alloc: 'alloc',
  procs: 'procs',
  phase: 'phase',
  failure: 'failure',
}

/** Move job `id` to `to` if its status is one of `from`; returns whether it moved. */
export function transition(db: Database, id: number, from: readonly JobStatus[], to: JobStatus, fields: TransitionFields = {}): boolean {
  const sets = ['status = $to']
  const params: Record<string, string | number | null> = { id, to }
  for (const [k, v] of Object.entries(fields) as [keyof TransitionFields, unknown][]) {
    if (v === undefined) continue
    sets.push(`${COLUMN[k]} = $${k}`)
    params[k] = v === null || typeof v === 'number' || typeof v === 'string' ? v : JSON.stringify(v)
  }
  const list = from.map((s) => `'${s}'`).join(', ')
  const res = db.query(`UPDATE jobs SET ${sets.join(', ')} WHERE id = $id AND status IN (${list})`).run(params)
  return res.changes > 0
}

export function setProcs(db: Database, id: number, procs: RankProc[]): void {
  db.query('UPDATE jobs SET procs = $p WHERE id = $id').run({ p: JSON.stringify(procs), id })
}

/** Drop the secret values kept for (re)starting a job, once it can no longer start. */
export function scrubSecrets(db: Database, id: number): void {
  rmSync(jobSecretsPath(db, id), { force: true })
}

export function kvGet(db: Database, key: string): string | null {
  const r = db.query('SELECT value FROM kv WHERE key = $key').get({ key }) as { value: string } | null
  return r?.value ?? null
}

export function kvSet(db: Database, key: string, value: string | null): void {
  if (value === null) db.query('DELETE FROM kv WHERE key = $key').run({ key })
  else db.query('INSERT INTO kv (key, value) VALUES ($key, $value) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run({ key, value })
}

export interface DaemonRow {
  pid: number
  version: string
  startedAt: number
  heartbeatAt: number
  /** Set when the daemon is an instance inside the local agent host (its directory). */
  host: string | null
}

export function getDaemonRow(db: Database): DaemonRow | null {
  const r = db.query('SELECT pid, version, started_at, heartbeat_at, host FROM daemon WHERE id = 1').get() as
    | { pid: number; version: string; started_at: number; heartbeat_at: number; host: string | null }
    | null
  return r ? { pid: r.pid, version: r.version, startedAt: r.started_at, heartbeatAt: r.heartbeat_at, host: r.host ?? null } : null
}

export function setDaemonRow(db: Database, row: DaemonRow | null): void {
  if (!row) {
    db.query('DELETE FROM daemon WHERE id = 1').run()
    return
  }
  db.query(
    `INSERT INTO daemon (id, pid, version, started_at, heartbeat_at, host) VALUES (1, $pid, $version, $startedAt, $heartbeatAt, $host)
     ON CONFLICT(id) DO UPDATE SET pid = excluded.pid, version = excluded.version, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, host = excluded.host`,
  ).run({ pid: row.pid, version: row.version, startedAt: row.startedAt, heartbeatAt: row.heartbeatAt, host: row.host })
}

export function heartbeat(db: Database, pid: number, now = Date.now()): void {
  db.query('UPDATE daemon SET heartbeat_at = $now WHERE id = 1 AND pid = $pid').run({ now, pid })
}
