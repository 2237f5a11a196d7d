// Operations added by server plugin modules (`api_server.plugins` in the server's config). A plugin
// module exports `ops`: definitions made with defineOp (src/api/define.ts), or plain objects
// `{ name, lane, idempotent, handler(ctx, body) }`. They are submitted at POST /api/plugins/<name>.
import { requestOps } from '../../api/registry'
import { NotFoundError } from '../../core/errors'
import type { OpContext, OpMeta } from './types'

type Handler = (ctx: OpContext, body: any) => Promise<unknown>

export interface PluginOp extends OpMeta {
  /** A defineOp result's handler is a loader; a plain object's is the handler itself. */
  handler: Handler | (() => Promise<Handler>)
  kind?: 'request'
}

export interface PluginModule {
  ops: PluginOp[]
}

export interface LoadedOp {
  meta: OpMeta
  handler: () => Promise<Handler>
}

/** Load plugin modules: their operations' metadata and handlers. */
export async function loadPlugins(paths: string[]): Promise<LoadedOp[]> {
  const out: LoadedOp[] = []
  for (const p of paths) {
    const mod = (await import(p)) as PluginModule
    for (const op of mod.ops ?? []) {
      const meta: OpMeta = { name: op.name, lane: op.lane, idempotent: op.idempotent, cluster: op.cluster }
      if (requestOps.has(op.name)) throw new Error(`Plugin ${p}: operation '${op.name}' is built in.`)
      const handler = op.kind === 'request' ? (op.handler as () => Promise<Handler>) : async () => op.handler as Handler
      out.push({ meta, handler })
    }
  }
  return out
}

/** Every operation the executor knows: built-in ones and the plugins'. */
export function opIndex(plugins: LoadedOp[] = []): Map<string, OpMeta> {
  const m = new Map<string, OpMeta>(requestOps)
  for (const p of plugins) m.set(p.meta.name, p.meta)
  return m
}

/** Handlers by name, loaded once (a worker that only answers `status` never loads provisioners). */
export function handlerLoader(plugins: LoadedOp[] = []): (name: string) => Promise<Handler> {
  const cache = new Map<string, Handler>()
  const extra = new Map(plugins.map((p) => [p.meta.name, p.handler]))
  return async (name) => {
    const hit = cache.get(name)
    if (hit) return hit
    const load = requestOps.get(name)?.handler ?? extra.get(name)
    if (!load) throw new NotFoundError(`No handler for request '${name}'.`)
    const h = await load()
    cache.set(name, h)
    return h
  }
}
