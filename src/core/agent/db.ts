// The node's job DB (bun:sqlite, WAL): opening it and upgrading it with ordered migrations
// tracked in PRAGMA user_version. Every agent process (daemon, submit, cancel...) opens it; SQLite
// serializes the writers, busy_timeout makes them wait instead of failing.
import { Database } from 'bun:sqlite'

/** Ordered schema migrations; index + 1 is the schema version. Never edit one that shipped. */
const MIGRATIONS: string[] = [
  `CREATE TABLE jobs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     name TEXT,
     user_name TEXT NOT NULL,
     user_hash TEXT NOT NULL,
     status TEXT NOT NULL,
     priority INTEGER NOT NULL DEFAULT 0,
     num_nodes INTEGER NOT NULL DEFAULT 1,
     demand TEXT NOT NULL DEFAULT '{}',
     resources TEXT NOT NULL DEFAULT '',
     spec TEXT NOT NULL,
     task_id TEXT NOT NULL DEFAULT '',
     submitted_at INTEGER NOT NULL,
     started_at INTEGER,
     ended_at INTEGER,
     exit_code INTEGER,
     exit_codes TEXT,
     alloc TEXT,
     procs TEXT,
     phase TEXT,
     failure TEXT
   );
   CREATE INDEX jobs_status_idx ON jobs(status);
   CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE daemon (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     pid INTEGER NOT NULL,
     version TEXT NOT NULL,
     started_at INTEGER NOT NULL,
     heartbeat_at INTEGER NOT NULL
   );`,
  // Job submissions carry an idempotency key (the API request id): a submission repeated after a
  // crash or a replica takeover finds the first one instead of starting the job twice. A daemon
  // row may belong to the local agent host (one process serving every local cluster).
  `ALTER TABLE jobs ADD COLUMN idem_key TEXT;
   CREATE UNIQUE INDEX jobs_idem_key ON jobs(idem_key) WHERE idem_key IS NOT NULL;
   ALTER TABLE daemon ADD COLUMN host TEXT;`,
]

export const SCHEMA_VERSION = MIGRATIONS.length

export function openDb(path: string, opts: { migrate?: boolean } = {}): Database {
  const db = new Database(path, { create: true, strict: true })
  db.exec('PRAGMA busy_timeout = 10000')
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = NORMAL')
  // A job DB is a few pages; a small cache keeps hundreds of them open in one agent host cheap.
  db.exec('PRAGMA cache_size = -256')
  if (opts.migrate !== false) migrate(db)
  return db
}

export function schemaVersion(db: Database): number {
  return (db.query('PRAGMA user_version').get() as { user_version: number }).user_version
}

/** Apply the migrations this DB lacks, in order, under one write lock. */
export function migrate(db: Database): number {
  if (schemaVersion(db) >= MIGRATIONS.length) return schemaVersion(db)
  db.exec('BEGIN IMMEDIATE')
  try {
    let v = schemaVersion(db)
    for (; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!)
    db.exec(`PRAGMA user_version = ${v}`)
    db.exec('COMMIT')
    return v
  } catch (e) {
    db.exec('ROLLBACK')
    throw e
  }
}
