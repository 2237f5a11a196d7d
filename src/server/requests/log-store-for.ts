// Which log store a server or worker thread uses: files next to a SQLite store (one server),
// the database itself for PostgreSQL (any replica can stream any request's log).
import type { Store } from '../../core/state/store'
import { DbLogStore } from './db-log-store'
import { FileLogStore, type LogStore } from './log-store'

export function logStoreFor(store: Store, logDir: string): LogStore {
  return store.db.kind === 'postgres' ? new DbLogStore(store.db) : new FileLogStore(logDir)
}
