// PostgreSQL backend on Bun's built-in SQL client. Same SQL as SQLite with `?` rewritten to $n.
// BIGINT (int8) columns come back from the driver as strings; they are turned into numbers here
// (every BIGINT we store is an epoch-millisecond time or a byte offset, well inside 2^53), so the
// repositories see the same values on both backends.
import { SQL } from 'bun'
import type { Db, Row, SqlValue } from './db'

const INT8_OID = 20

function toPg(sql: string): string {
  let n = 0
  return sql.replace(/\?/g, () => `$${++n}`)
}

/** Convert int8 columns (strings from the driver) to numbers, in place. */
function normalize<T>(rows: unknown): T[] {
  const list = rows as Row[] & { columns?: { name: string; type: number }[] }
  const cols = list.columns
  if (!cols || list.length === 0) return list as unknown as T[]
  const int8 = cols.filter((c) => c.type === INT8_OID).map((c) => c.name)
  if (!int8.length) return list as unknown as T[]
  for (const r of list) {
    for (const k of int8) {
      const v = r[k]
      if (v !== null && v !== undefined) r[k] = Number(v)
    }
  }
  return list as unknown as T[]
}

/** Parameters as the driver wants them: booleans as 0/1 like SQLite (columns are INTEGER). */
function params(p: SqlValue[]): never[] {
  return p.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v)) as never[]
}

function wrap(root: SQL, q: SQL, inTx = false): Db {
  const db: Db = {
    kind: 'postgres',
    async all<T = Row>(sql: string, p: SqlValue[] = []) {
      return normalize<T>(await q.unsafe(toPg(sql), params(p)))
    },
    async get<T = Row>(sql: string, p: SqlValue[] = []) {
      return normalize<T>(await q.unsafe(toPg(sql), params(p)))[0]
    },
    async run(sql: string, p: SqlValue[] = []) {
      const r = (await q.unsafe(toPg(sql), params(p))) as unknown as { count?: number | null }
      return { changes: Number(r.count ?? 0) }
    },
    async tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
      if (inTx) return fn(db)
      return (await q.begin(async (t) => fn(wrap(root, t as unknown as SQL, true)))) as T
    },
    async listen(channel, onPayload) {
      return root.listen(channel, onPayload)
    },
    async notify(channel, payload) {
      await q.notify(channel, payload)
    },
    async close() {
      if (!inTx) await q.close()
    },
  }
  return db
}

export interface PostgresOptions {
  /** Pool size (connections this process may open). */
  max?: number
}

export async function openPostgres(url: string, o: PostgresOptions = {}): Promise<Db> {
  const q = new SQL({ url, max: o.max ?? 10, idleTimeout: 30, connectionTimeout: 10 })
  await q.unsafe('SELECT 1')
  return wrap(q, q)
}
