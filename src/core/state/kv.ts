// Small named values the server keeps (enabled infra from `sky check`, secrets, ...), as JSON.
import type { Db } from './db'

export class KvRepo {
  constructor(private db: Db) {}

  async get<T>(key: string): Promise<T | undefined> {
    const r = await this.db.get<{ value: string }>(`SELECT value FROM kv WHERE key = ?`, [key])
    return r ? (JSON.parse(r.value) as T) : undefined
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.db.run(
      `INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key, JSON.stringify(value), Date.now()],
    )
  }
}
