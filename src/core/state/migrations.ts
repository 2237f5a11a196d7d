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
