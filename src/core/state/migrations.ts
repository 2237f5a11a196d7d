// Ordered schema migrations shared by SQLite and PostgreSQL (portable SQL only: TEXT, BIGINT,
// DOUBLE PRECISION, INTEGER). Append new entries; never edit an applied one.
import type { Db } from './db'

export const migrations: { version: number; name: string; sql: string[] }[] = [
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
]

export async function migrate(db: Db): Promise<void> {
  await db.run(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
  const done = new Set((await db.all<{ version: number }>(`SELECT version FROM schema_migrations`)).map((r) => Number(r.version)))
  for (const m of migrations) {
    if (done.has(m.version)) continue
    await db.tx(async (t) => {
      for (const stmt of m.sql) await t.run(stmt)
      await t.run(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, [m.version, m.name, Date.now()])
    })
  }
}
