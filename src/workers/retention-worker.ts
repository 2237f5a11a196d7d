// Worker thread that collects old requests (src/server/retention.ts) on a database connection
// of its own, so deleting a backlog never runs on the server's event loop.
import type { DbLocation } from '../core/state/db'
import { openStore, type Store } from '../core/state/store'
import { paths } from '../core/paths'
import { logStoreFor } from '../server/requests/log-store-for'
import type { LogStore } from '../server/requests/log-store'
import { collectOld, type RetentionOptions } from '../server/retention'

declare const self: Worker

type InMsg =
  | { type: 'init'; db: DbLocation; logDir?: string; options: RetentionOptions; env?: Record<string, string>; checkpointMs?: number }
  | { type: 'collect'; id: number; cutoff: number }

let store: Store
let logs: LogStore
let options: RetentionOptions = {}
let ready: Promise<void> | undefined

self.onmessage = (ev: MessageEvent<InMsg>) => {
  const m = ev.data
  if (m.type === 'init') {
    ready = (async () => {
      if (m.env) Object.assign(process.env, m.env)
      store = await openStore(m.db, { migrate: false, poolSize: 2 })
      logs = logStoreFor(store, m.logDir ?? paths.requestLogs())
      options = m.options
      // The server's own connection does not checkpoint the WAL (that would stall its event loop
      // now and then); this thread does, passively (writers are never blocked), every so often.
      if (store.db.kind === 'sqlite' && m.checkpointMs) {
        await store.db.run('PRAGMA wal_autocheckpoint = 0')
        const t = setInterval(() => void store.db.run('PRAGMA wal_checkpoint(PASSIVE)').catch(() => {}), m.checkpointMs)
        t.unref?.()
      }
    })()
    ready.then(
      () => self.postMessage({ type: 'ready' }),
      (e) => self.postMessage({ type: 'init-failed', error: (e as Error).message }),
    )
    return
  }
  void (async () => {
    try {
      await ready
      self.postMessage({ type: 'done', id: m.id, deleted: await collectOld(store, logs, m.cutoff, options) })
    } catch (e) {
      self.postMessage({ type: 'failed', id: m.id, error: (e as Error).message })
    }
  })()
}
