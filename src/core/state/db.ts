// The minimal SQL surface both backends offer. Queries use `?` placeholders; the PostgreSQL
// backend rewrites them to $1..$n. Timestamps are epoch milliseconds (BIGINT), JSON is TEXT.

export type SqlValue = string | number | bigint | boolean | null | Uint8Array
export type Row = Record<string, unknown>

export interface Db {
  readonly kind: 'sqlite' | 'postgres'
  all<T = Row>(sql: string, params?: SqlValue[]): Promise<T[]>
  get<T = Row>(sql: string, params?: SqlValue[]): Promise<T | undefined>
  run(sql: string, params?: SqlValue[]): Promise<{ changes: number }>
  /** Run fn inside one transaction (serialized with other writers). */
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T>
  /** PostgreSQL only: subscribe to a NOTIFY channel (several replicas share one database). */
  listen?(channel: string, onPayload: (payload: string) => void): Promise<{ unlisten(): Promise<void> }>
  /** PostgreSQL only: send a NOTIFY. */
  notify?(channel: string, payload: string): Promise<void>
  close(): Promise<void>
}

/** How a thread or another replica reaches the same store. */
export type DbLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string }

/** A UNIQUE / PRIMARY KEY violation, on either backend. */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; errno?: string | number }
  return err?.code === 'SQLITE_CONSTRAINT_UNIQUE' || err?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || String(err?.errno) === '23505'
}
