// The controller thread: hosts the controller runtime (managed jobs, later services) apart from
// the request worker threads, with its own store connection. The server thread sends it wakes
// and, on shutdown, a stop; on PostgreSQL it also hears other replicas' wakes (LISTEN/NOTIFY).
import { logger } from '../core/log'
import type { DbLocation } from '../core/state/db'
import { openStore, type Store } from '../core/state/store'
import { CONTROLLER_KINDS } from '../server/controllers/kinds'
import { ControllerRuntime } from '../server/controllers/runtime'
import type { WakeOptions } from '../server/controllers/types'

declare const self: Worker

type InMsg =
  | { type: 'init'; db: DbLocation; replicaId: string; leaseMs: number; env?: Record<string, string> }
  | { type: 'wake'; kind: string; key: string; o?: WakeOptions }
  | { type: 'stop'; graceMs: number }

const CHANNEL = 'sky_controllers'
let store: Store | undefined
let runtime: ControllerRuntime | undefined
let unlisten: (() => Promise<void>) | undefined

const logLine = logger('controller')
const log = (line: string) => logLine.info(line)

async function init(m: Extract<InMsg, { type: 'init' }>): Promise<void> {
  if (m.env) Object.assign(process.env, m.env)
  store = await openStore(m.db, { migrate: false, poolSize: 8 })
  const db = store.db
  const pg = db.kind === 'postgres'
  const rt = new ControllerRuntime({
    store,
    replicaId: m.replicaId,
    leaseMs: m.leaseMs,
    exclusive: !pg,
    log,
    broadcast: pg ? (kind, key, o) => void db.notify?.(CHANNEL, JSON.stringify({ from: m.replicaId, kind, key, o })).catch(() => {}) : undefined,
  })
  for (const [name, load] of Object.entries(CONTROLLER_KINDS)) {
    const factory = await load()
    rt.register(await factory({ store, replicaId: m.replicaId, log, wake: (kind, key, o) => rt.wake(kind, key, o) }))
    void name
  }
  if (pg && db.listen) {
    const sub = await db.listen(CHANNEL, (payload) => {
      try {
        const w = JSON.parse(payload) as { from: string; kind: string; key: string; o?: WakeOptions }
        if (w.from !== m.replicaId) rt.wake(w.kind, w.key, w.o, true)
      } catch {}
    })
    unlisten = () => sub.unlisten()
  }
  runtime = rt
  await rt.start()
}

let ready: Promise<void> | undefined

self.onmessage = (ev: MessageEvent<InMsg>) => {
  const m = ev.data
  switch (m.type) {
    case 'init':
      ready = init(m)
      ready.then(
        () => self.postMessage({ type: 'ready' }),
        (e) => self.postMessage({ type: 'init-failed', error: String((e as Error)?.stack ?? e) }),
      )
      return
    case 'wake':
      void ready?.then(() => runtime?.wake(m.kind, m.key, m.o))
      return
    case 'stop':
      void (async () => {
        await ready?.catch(() => {})
        await runtime?.stop(m.graceMs)
        await unlisten?.().catch(() => {})
        await store?.close().catch(() => {})
        self.postMessage({ type: 'stopped' })
      })()
      return
  }
}
