// Worker thread that executes requests. The server thread sends {run} messages; this thread runs
// the operation's handler with an AbortSignal and a request logger, and answers {done}.
import { setConfigRole } from '../core/config'
import { withClientConfig } from '../core/config-scope'
import { toSkyError, CancelledError } from '../core/errors'
import type { DbLocation } from '../core/state/db'
import { openStore, type Store } from '../core/state/store'
import { handlerLoader, loadPlugins } from '../server/ops/plugins'
import type { OpContext, OpUser } from '../server/ops/types'
import type { LogStore } from '../server/requests/log-store'
import { logStoreFor } from '../server/requests/log-store-for'

declare const self: Worker

type InMsg =
  | { type: 'init'; db: DbLocation; plugins: string[]; logDir: string; env?: Record<string, string> }
  | { type: 'run'; id: string; name: string; body: unknown; user: OpUser }
  | { type: 'cancel'; id: string }
  | { type: 'cancel-cluster-result'; callId: number; ids: string[] }
  | { type: 'cancel-requests-result'; callId: number; ids: string[] }

let store: Store
let logs: LogStore
let loadHandler: ReturnType<typeof handlerLoader> = handlerLoader()
const running = new Map<string, AbortController>()
const pendingCalls = new Map<number, (ids: string[]) => void>()
let nextCall = 0
let ready: Promise<void> | undefined

async function init(m: Extract<InMsg, { type: 'init' }>): Promise<void> {
  if (m.env) Object.assign(process.env, m.env)
  setConfigRole('server')
  store = await openStore(m.db, { migrate: false, poolSize: 4 })
  logs = logStoreFor(store, m.logDir)
  if (m.plugins.length) loadHandler = handlerLoader(await loadPlugins(m.plugins))
}

async function run(m: Extract<InMsg, { type: 'run' }>): Promise<void> {
  const ac = new AbortController()
  running.set(m.id, ac)
  const write = (text: string) => logs.append(m.id, text)
  try {
    await ready
    const handler = await loadHandler(m.name)
    const ctx: OpContext = {
      requestId: m.id,
      user: m.user,
      signal: ac.signal,
      store,
      write,
      log: (line: string) => write(line.endsWith('\n') ? line : line + '\n'),
      cancelClusterRequests: (cluster: string, except: string[]) =>
        new Promise<string[]>((resolve) => {
          const callId = ++nextCall
          pendingCalls.set(callId, resolve)
          self.postMessage({ type: 'cancel-cluster', callId, requestId: m.id, cluster, except })
        }),
      cancelRequests: (ids: string[]) =>
        new Promise<string[]>((resolve) => {
          const callId = ++nextCall
          pendingCalls.set(callId, resolve)
          self.postMessage({ type: 'cancel-requests', callId, ids })
        }),
      wakeController: (kind: string, key: string, o?: { interrupt?: boolean }) => self.postMessage({ type: 'controller-wake', kind, key, o }),
    }
    // The client's config layers (its .sky.yaml, --config) apply to this request only.
    const override = (m.body as { override_skypilot_config?: unknown } | null)?.override_skypilot_config
    const result = await withClientConfig(override, () => handler(ctx, m.body))
    if (ac.signal.aborted) throw new CancelledError('Request was cancelled.')
    await logs.flush(m.id)
    self.postMessage({ type: 'done', id: m.id, ok: true, result: result ?? null })
  } catch (e) {
    const err = ac.signal.aborted ? new CancelledError('Request was cancelled.') : toSkyError(e)
    if (err.code === 'INTERNAL' && e instanceof Error && e.stack) write(`${e.stack}\n`)
    await logs.flush(m.id).catch(() => {})
    self.postMessage({ type: 'done', id: m.id, ok: false, error: err.toWire() })
  } finally {
    running.delete(m.id)
  }
}

self.onmessage = (ev: MessageEvent<InMsg>) => {
  const m = ev.data
  switch (m.type) {
    case 'init':
      ready = init(m)
      ready.then(
        () => self.postMessage({ type: 'ready' }),
        (e) => self.postMessage({ type: 'init-failed', error: toSkyError(e).toWire() }),
      )
      return
    case 'run':
      void run(m)
      return
    case 'cancel':
      running.get(m.id)?.abort()
      return
    case 'cancel-cluster-result':
    case 'cancel-requests-result':
      pendingCalls.get(m.callId)?.(m.ids)
      pendingCalls.delete(m.callId)
      return
  }
}
