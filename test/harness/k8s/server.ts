// One cluster's API endpoint: the HTTP(S) front with the REST handler, and exec upgrades routed to
// WebSocket (`Upgrade: websocket`) or SPDY (`Upgrade: SPDY/3.1`).
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { apiHandler, route } from './api'
import type { Cluster } from './cluster'
import { execRequest, startExec } from './exec'
import { serveExecSpdy } from './exec-spdy'
import { serveExecWebSocket } from './exec-websocket'
import { refuseUpgrade, startFront, type Front, type RequestContext, type TlsMaterial } from './http'
import { badRequest, pathNotFound } from './status'

export interface ClusterServerOptions {
  host: string
  tls?: TlsMaterial
  tokens: Map<string, string>
  requireAuth: boolean
  version: string
  aggregatedDiscovery: boolean
}

export async function serveCluster(cluster: Cluster, o: ClusterServerOptions): Promise<Front> {
  let address = ''
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, ctx: RequestContext) => {
    const r = route(ctx.url.pathname)
    if (!r || r.def.name !== 'pods' || r.sub !== 'exec' || !r.namespace || !r.name) return refuseUpgrade(socket, pathNotFound())
    const { pod, params } = execRequest(cluster, r.namespace, r.name, ctx.url.searchParams)
    const start = (sink: Parameters<typeof startExec>[3]) => startExec(cluster, pod, params, sink)
    const kind = String(req.headers.upgrade ?? '').toLowerCase()
    if (kind === 'websocket') return serveExecWebSocket(req, socket, head, start)
    if (kind === 'spdy/3.1') return serveExecSpdy(req, socket, head, params, start)
    refuseUpgrade(socket, badRequest(`unsupported upgrade protocol "${req.headers.upgrade}"`))
  }
  const front = await startFront({
    host: o.host,
    tls: o.tls,
    tokens: o.tokens,
    requireAuth: o.requireAuth,
    handle: apiHandler(cluster, { version: o.version, aggregated: o.aggregatedDiscovery, serverAddress: () => address }),
    upgrade,
  })
  address = `${o.host}:${front.port}`
  return front
}
