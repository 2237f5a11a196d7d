// SQLite backend on bun:sqlite: WAL, NORMAL sync, a busy timeout so worker threads and the server
// thread can share one file. Statements are cached by bun:sqlite's `query`.
import { Database } from 'bun:sqlite'
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Db, Row, SqlValue } from './db'

export function openSqlite(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const fresh = path === ':memory:' || !existsSync(path) || statSync(path).size === 0
  const raw = new Database(path, { create: true, strict: true })
  // A new file gets incremental auto-vacuum (set before anything is written), so freed pages can
  // be given back to the file system (see src/server/retention.ts).
  if (fresh) raw.exec('PRAGMA auto_vacuum = INCREMENTAL')
  raw.exec('PRAGMA journal_mode = WAL')
  raw.exec('PRAGMA synchronous = NORMAL')
  raw.exec('PRAGMA busy_timeout = 10000')
  raw.exec('PRAGMA foreign_keys = ON')
  // One connection serves every caller in this thread, so transactions take turns: a second
  // tx() waits for the first to commit or roll back instead of running its statements inside it
  // (where the first one's rollback would undo them). Nested calls on the handle given to fn join.
  let turn: Promise<void> = Promise.resolve()

  const db: Db = {
    kind: 'sqlite',
    async all<T = Row>(sql: string, params: SqlValue[] = []) {
      return raw.query(sql).all(...(params as never[])) as T[]
    },
    async get<T = Row>(sql: string, params: SqlValue[] = []) {
      return (raw.query(sql).get(...(params as never[])) ?? undefined) as T | undefined
    },
    async run(sql: string, params: SqlValue[] = []) {
      const r = raw.query(sql).run(...(params as never[]))
      return { changes: r.changes }
    },
    async tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
      const prev = turn
      let done!: () => void
      turn = new Promise<void>((r) => (done = r))
      await prev
      // BEGIN IMMEDIATE takes the write lock up front so two threads never deadlock upgrading
      // read locks.
      try {
        raw.exec('BEGIN IMMEDIATE')
        try {
          const out = await fn(inner)
          raw.exec('COMMIT')
          return out
        } catch (e) {
          raw.exec('ROLLBACK')
          throw e
        }
      } finally {
        done()
      }
    },
    async close() {
      raw.close()
    },
  }
  const inner: Db = { ...db, tx: (fn) => fn(inner) }
  return db
}
