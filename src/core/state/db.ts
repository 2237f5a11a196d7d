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
  close(): Promise<void>
}

/** How a thread or another replica reaches the same store. */
export type DbLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string }
