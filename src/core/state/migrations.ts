// Ordered schema migrations shared by SQLite and PostgreSQL (portable SQL only: TEXT, BIGINT,
// DOUBLE PRECISION, INTEGER). Append new entries; never edit an applied one.
import type { Db } from './db'

export interface Migration {
  version: number
  name: string
  sql: string[]
  /** PostgreSQL's statements when its dialect differs (otherwise `sql` runs on both). */
  postgres?: string[]
}

// Managed jobs (version 41): one row per job, one per task of its pipeline. Times are epoch ms.
const MANAGED_JOBS_COLUMNS = `
  job_id %ID%,
  name TEXT NOT NULL,
  user_id TEXT NOT NULL,
  user_name TEXT NOT NULL,
  user_role TEXT,
  workspace TEXT NOT NULL DEFAULT 'default',
  dag_yaml TEXT NOT NULL,
  num_tasks INTEGER NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  schedule_state TEXT NOT NULL,
  current_task INTEGER NOT NULL DEFAULT 0,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  retry_at BIGINT,
  submitted_at BIGINT NOT NULL,
  started_at BIGINT,
  ended_at BIGINT,
  updated_at BIGINT NOT NULL,
  failure_reason TEXT,
  entrypoint TEXT,
  request_id TEXT,
  config TEXT,
  uploads TEXT`

const MANAGED_JOB_TASKS_COLUMNS = `
  job_id BIGINT NOT NULL,
  task_id INTEGER NOT NULL,
  task_name TEXT,
  resources TEXT NOT NULL,
  status TEXT NOT NULL,
  phase TEXT NOT NULL DEFAULT 'pending',
  cluster_name TEXT,
  cluster_live INTEGER NOT NULL DEFAULT 0,
  infra TEXT,
  blocked TEXT,
  submitted_at BIGINT NOT NULL,
  start_at BIGINT,
  end_at BIGINT,
  last_recovered_at BIGINT,
  recovery_count INTEGER NOT NULL DEFAULT 0,
  restart_count INTEGER NOT NULL DEFAULT 0,
  launch_attempts INTEGER NOT NULL DEFAULT 0,
  job_duration BIGINT NOT NULL DEFAULT 0,
  run_started_at BIGINT,
  agent_job_id INTEGER,
  submit_seq INTEGER NOT NULL DEFAULT 0,
  log_base BIGINT NOT NULL DEFAULT 0,
  exit_code INTEGER,
  outcome TEXT,
  relaunch TEXT,
  failure_reason TEXT,
  PRIMARY KEY (job_id, task_id)`

const MANAGED_JOBS_INDEXES = [
  `CREATE INDEX IF NOT EXISTS managed_jobs_schedule ON managed_jobs (schedule_state, priority DESC, job_id)`,
  `CREATE INDEX IF NOT EXISTS managed_jobs_user ON managed_jobs (user_id, job_id)`,
  `CREATE INDEX IF NOT EXISTS managed_jobs_status ON managed_jobs (status, user_id)`,
  `CREATE INDEX IF NOT EXISTS managed_jobs_name ON managed_jobs (name)`,
  `CREATE INDEX IF NOT EXISTS managed_job_tasks_cluster ON managed_job_tasks (cluster_name)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS managed_jobs_request ON managed_jobs (request_id)`,
]

// Services (version 60): one row per service, one per version (its task YAML), one per replica
// (a cluster named <service>-<id>), and the hashed bearer tokens of `service.auth`.
const SERVICE_TABLES = [
  `CREATE TABLE IF NOT EXISTS services (
    name TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    user_role TEXT,
    workspace TEXT NOT NULL DEFAULT 'default',
    status TEXT NOT NULL,
    lb_host TEXT NOT NULL,
    lb_port INTEGER NOT NULL,
    current_version INTEGER NOT NULL DEFAULT 1,
    active_versions TEXT NOT NULL DEFAULT '[]',
    next_replica_id INTEGER NOT NULL DEFAULT 1,
    down_requested INTEGER NOT NULL DEFAULT 0,
    purge INTEGER NOT NULL DEFAULT 0,
    uptime BIGINT,
    autoscaler TEXT,
    failure TEXT,
    config TEXT,
    request_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  )`,
  `CREATE UNIQUE INDEX IF NOT EXISTS services_lb_port ON services (lb_host, lb_port)`,
  `CREATE TABLE IF NOT EXISTS service_versions (
    service TEXT NOT NULL,
    version INTEGER NOT NULL,
    task_yaml TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'rolling',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (service, version)
  )`,
  `CREATE TABLE IF NOT EXISTS service_replicas (
    service TEXT NOT NULL,
    replica_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    cluster_name TEXT NOT NULL,
    cluster_live INTEGER NOT NULL DEFAULT 0,
    url TEXT,
    cloud TEXT,
    region TEXT,
    is_spot INTEGER NOT NULL DEFAULT 0,
    agent_job_id INTEGER,
    network TEXT,
    launched_at BIGINT,
    first_ready_at BIGINT,
    failing_since BIGINT,
    remove_requested INTEGER NOT NULL DEFAULT 0,
    failure TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (service, replica_id)
  )`,
  `CREATE TABLE IF NOT EXISTS service_tokens (
    service TEXT NOT NULL,
    name TEXT NOT NULL,
    hash TEXT NOT NULL,
    hint TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    PRIMARY KEY (service, name)
  )`,
]

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'requests',
    sql: [
      `CREATE TABLE IF NOT EXISTS requests (
        request_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        user_id TEXT NOT NULL,
        user_name TEXT NOT NULL,
        status TEXT NOT NULL,
        lane TEXT NOT NULL,
        cluster_name TEXT,
        body TEXT NOT NULL,
        result TEXT,
        error TEXT,
        status_msg TEXT,
        created_at BIGINT NOT NULL,
        started_at BIGINT,
        finished_at BIGINT,
        replica_id TEXT,
        lease_until BIGINT,
        attempts INTEGER NOT NULL DEFAULT 0
      )`,
      `CREATE INDEX IF NOT EXISTS requests_status ON requests (status, lane, created_at)`,
      `CREATE INDEX IF NOT EXISTS requests_created ON requests (created_at)`,
      `CREATE INDEX IF NOT EXISTS requests_cluster ON requests (cluster_name, status)`,
    ],
  },
  {
    version: 2,
    name: 'clusters',
    sql: [
      `CREATE TABLE IF NOT EXISTS clusters (
        name TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        user_name TEXT NOT NULL,
        status TEXT NOT NULL,
        infra TEXT NOT NULL,
        resources TEXT NOT NULL,
        num_nodes INTEGER NOT NULL,
        handle TEXT,
        autostop_minutes INTEGER NOT NULL DEFAULT -1,
        autostop_down INTEGER NOT NULL DEFAULT 0,
        launched_at BIGINT NOT NULL,
        last_use BIGINT,
        last_command TEXT,
        status_updated_at BIGINT NOT NULL,
        cluster_hash TEXT NOT NULL,
        workspace TEXT NOT NULL DEFAULT 'default'
      )`,
      `CREATE INDEX IF NOT EXISTS clusters_user ON clusters (user_id)`,
    ],
  },
  {
    version: 3,
    name: 'kv',
    sql: [`CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at BIGINT NOT NULL)`],
  },
  {
    version: 4,
    name: 'users and service-account tokens',
    sql: [
      `CREATE TABLE IF NOT EXISTS users (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        password_hash TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS service_account_tokens (
        token_id TEXT PRIMARY KEY,
        token_name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        creator_user_id TEXT,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT,
        expires_at BIGINT,
        revoked_at BIGINT
      )`,
      `CREATE INDEX IF NOT EXISTS sa_tokens_user ON service_account_tokens (user_id)`,
    ],
  },
  {
    version: 5,
    name: 'request owner role, replica leases',
    sql: [`ALTER TABLE requests ADD COLUMN user_role TEXT`, `CREATE INDEX IF NOT EXISTS requests_replica ON requests (replica_id, status)`],
    postgres: [
      `ALTER TABLE requests ADD COLUMN IF NOT EXISTS user_role TEXT`,
      `CREATE INDEX IF NOT EXISTS requests_replica ON requests (replica_id, status)`,
      // Id-prefix lookups compare bytes, whatever the database's collation.
      `CREATE INDEX IF NOT EXISTS requests_id_bytes ON requests ((request_id COLLATE "C"))`,
    ],
  },
  {
    version: 6,
    name: 'request log chunks',
    sql: [
      `CREATE TABLE IF NOT EXISTS request_log_chunks (
        request_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        len INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (request_id, seq)
      )`,
    ],
    postgres: [
      `CREATE TABLE IF NOT EXISTS request_log_chunks (
        request_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        len INTEGER NOT NULL,
        data BYTEA NOT NULL,
        PRIMARY KEY (request_id, seq)
      )`,
    ],
  },
  {
    version: 10,
    name: 'cluster intent: launched resources, name on cloud, status reason',
    sql: [
      `ALTER TABLE clusters ADD COLUMN launched TEXT`,
      `ALTER TABLE clusters ADD COLUMN name_on_cloud TEXT`,
      `ALTER TABLE clusters ADD COLUMN status_reason TEXT`,
    ],
    postgres: [
      `ALTER TABLE clusters ADD COLUMN IF NOT EXISTS launched TEXT`,
      `ALTER TABLE clusters ADD COLUMN IF NOT EXISTS name_on_cloud TEXT`,
      `ALTER TABLE clusters ADD COLUMN IF NOT EXISTS status_reason TEXT`,
    ],
  },
  {
    version: 11,
    name: 'cluster lease locks',
    sql: [
      `CREATE TABLE IF NOT EXISTS cluster_locks (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        purpose TEXT NOT NULL,
        acquired_at BIGINT NOT NULL,
        lease_until BIGINT NOT NULL
      )`,
    ],
  },
  {
    version: 30,
    name: 'request indexes for keyset paging (all, by user) and for retention',
    sql: [
      `DROP INDEX IF EXISTS requests_created`,
      `CREATE INDEX IF NOT EXISTS requests_created_id ON requests (created_at, request_id)`,
      `CREATE INDEX IF NOT EXISTS requests_user_created ON requests (user_id, created_at, request_id)`,
      `CREATE INDEX IF NOT EXISTS requests_finished ON requests (finished_at)`,
    ],
  },
  // 40–49: managed jobs and the controller runtime (issue 16).
  {
    version: 40,
    name: 'controller leases',
    sql: [
      `CREATE TABLE IF NOT EXISTS controller_leases (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        owner TEXT NOT NULL,
        lease_until BIGINT NOT NULL,
        epoch INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (kind, key)
      )`,
      `CREATE INDEX IF NOT EXISTS controller_leases_owner ON controller_leases (owner, kind)`,
    ],
  },
  {
    version: 41,
    name: 'managed jobs and their tasks',
    sql: [
      `CREATE TABLE IF NOT EXISTS managed_jobs (${MANAGED_JOBS_COLUMNS.replace('%ID%', 'INTEGER PRIMARY KEY AUTOINCREMENT')})`,
      `CREATE TABLE IF NOT EXISTS managed_job_tasks (${MANAGED_JOB_TASKS_COLUMNS})`,
      ...MANAGED_JOBS_INDEXES,
    ],
    postgres: [
      `CREATE TABLE IF NOT EXISTS managed_jobs (${MANAGED_JOBS_COLUMNS.replace('%ID%', 'BIGSERIAL PRIMARY KEY')})`,
      `CREATE TABLE IF NOT EXISTS managed_job_tasks (${MANAGED_JOB_TASKS_COLUMNS})`,
      ...MANAGED_JOBS_INDEXES,
    ],
  },
  // 60–69: services (issue 17). Times are epoch ms; JSON is TEXT.
  {
    version: 60,
    name: 'services, their versions, replicas and endpoint tokens',
    sql: SERVICE_TABLES,
  },
  {
    version: 61,
    name: "service versions keep the client's uploads (workdir, file mounts)",
    sql: [`ALTER TABLE service_versions ADD COLUMN uploads TEXT`],
    postgres: [`ALTER TABLE service_versions ADD COLUMN IF NOT EXISTS uploads TEXT`],
  },
]

/** Replicas starting together on one PostgreSQL: the first migrates, the others wait for it. */
const PG_MIGRATION_LOCK = 724_100_001

export async function migrate(db: Db): Promise<void> {
  if (db.kind === 'postgres') {
    await db.tx(async (t) => {
      await t.run(`SELECT pg_advisory_xact_lock(${PG_MIGRATION_LOCK})`)
      await applyPending(t)
    })
    return
  }
  await applyPending(db)
}

async function applyPending(db: Db): Promise<void> {
  await db.run(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
  const done = new Set((await db.all<{ version: number }>(`SELECT version FROM schema_migrations`)).map((r) => Number(r.version)))
  for (const m of migrations) {
    if (done.has(m.version)) continue
    const stmts = (db.kind === 'postgres' && m.postgres) || m.sql
    await db.tx(async (t) => {
      for (const stmt of stmts) await t.run(stmt)
      await t.run(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, [m.version, m.name, Date.now()])
    })
  }
}
