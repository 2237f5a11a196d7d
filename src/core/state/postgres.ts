// PostgreSQL backend on Bun's built-in SQL client. Same SQL as SQLite with `?` rewritten to $n.
import { SQL } from 'bun'
import type { Db, Row, SqlValue } from './db'

function toPg(sql: string): string {
  let n = 0
  return sql.replace(/\?/g, () => `$${++n}`)
}

function wrap(q: SQL, kind: 'postgres' = 'postgres', inTx = false): Db {
  const db: Db = {
    kind,
    async all<T = Row>(sql: string, params: SqlValue[] = []) {
      return (await q.unsafe(toPg(sql), params as never[])) as unknown as T[]
    },
    async get<T = Row>(sql: string, params: SqlValue[] = []) {
      const rows = (await q.unsafe(toPg(sql), params as never[])) as unknown as T[]
      return rows[0]
    },
    async run(sql: string, params: SqlValue[] = []) {
      const r = (await q.unsafe(toPg(sql), params as never[])) as unknown as { count?: number }
      return { changes: Number(r.count ?? 0) }
    },
    async tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
      if (inTx) return fn(db)
      return (await q.begin(async (t) => fn(wrap(t as unknown as SQL, kind, true)))) as T
    },
    async close() {
      if (!inTx) await q.close()
    },
  }
  return db
}

export async function openPostgres(url: string): Promise<Db> {
  const q = new SQL({ url, max: 10, idleTimeout: 30 })
  await q.unsafe('SELECT 1')
  return wrap(q)
}
