// The service's load balancer process from the controller's side: the state it should serve
// (ready replicas of the versions taking traffic, the policy and TLS of the current version, the
// hashes of live tokens when `service.auth` is on), written whenever it changes, and the process
// started when it is not running (also after a reboot). A port another program took meanwhile
// moves the service to the next free one.
import { ensureLbProcess, findLbPort, lbHealth, waitLbApplied } from '../lb/control'
import type { LbState } from '../lb/state-file'
import type { ServiceSpec } from '../spec'
import type { ReplicaRecord, ServiceRecord } from '../types'
import type { Store } from '../../state/store'
import type { Fence } from '../../state/leases'
import { serviceDir } from './files'
import type { LiveService } from './live'

export async function lbStateFor(store: Store, svc: ServiceRecord, spec: ServiceSpec, replicas: ReplicaRecord[], activeVersions: number[]): Promise<LbState> {
  const active = new Set(activeVersions)
  const ready = replicas.filter((r) => r.status === 'READY' && r.url && active.has(r.version) && !r.removeRequested)
  const tokens = spec.auth ? (await store.services.tokens(svc.name)).filter((t) => t.revokedAt === null).map((t) => t.hash) : null
  return {
    service: svc.name,
    host: svc.lbHost,
    port: svc.lbPort,
    policy: spec.loadBalancingPolicy,
    ...(typeof spec.replicaPolicy.targetQpsPerReplica === 'object' ? { target_qps_per_replica: spec.replicaPolicy.targetQpsPerReplica } : {}),
    stream_timeout_seconds: spec.streamTimeoutSeconds,
    ...(spec.tls ? { tls: spec.tls } : {}),
    token_hashes: tokens,
    replicas: ready.map((r) => ({ url: r.url! })),
  }
}

/** Make the load balancer serve `state` (start it if needed); returns the port it listens on. */
export async function syncLb(store: Store, svc: ServiceRecord, l: LiveService, state: LbState, fence: Fence, log: (l: string) => void): Promise<void> {
  const dir = serviceDir(svc.name)
  const json = JSON.stringify(state)
  if (json === l.lbWritten && (await lbHealth(dir))) return
  for (let attempt = 0; ; attempt++) {
    try {
      await ensureLbProcess(dir, state)
      l.lbWritten = JSON.stringify(state)
      // Recorded statuses follow the load balancer: wait (briefly) until it applied the change.
      await waitLbApplied(dir, 1_000)
      return
    } catch (e) {
      const msg = (e as Error).message
      if (attempt >= 3 || !/EADDRINUSE|cannot listen|address.*in use/i.test(msg)) throw e
      const port = await findLbPort(await store.services.ports(), svc.lbHost, svc.lbPort + 1)
      log(`Load balancer port ${svc.lbPort} is taken by another program; moving the endpoint to port ${port}.`)
      if (!(await store.services.update(svc.name, { lbPort: port }, fence))) throw e
      svc.lbPort = port
      state = { ...state, port }
    }
  }
}
