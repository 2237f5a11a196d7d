// setupRuntime for cloud VMs: wait until every node answers SSH (a booting VM refuses, times out
// or has no key yet for a while), learn each login home, install the runtime on the head, give the
// head the cluster's node-to-node key and, where the cloud allows it, what it needs to release its
// own instances. Returns the final handle (homes, agent command, worker SSH targets).
import { RunnerTransportError } from '../../runner/errors'
import type { CommandRunner } from '../../runner/types'
import { toSkyError } from '../../errors'
import { CapacityError } from '../errors'
import type { ClusterHandle, NodeHandle, OpOptions } from '../types'
import type { CloudVmDriver } from './driver'
import { ensureClusterKey, installRuntime, RUNTIME, writeNodeRelease } from './runtime'
import { vmConnectOf, vmRunner } from './ssh'
import { pause } from '../../pause'
import { backoff } from './wait'

const SSH_WAIT_MS = 5 * 60_000
/** Keys refused for this long after the node first answered: cloud-init is done, the key is wrong. */
const AUTH_WAIT_MS = 90_000

/** Run `echo $HOME` until it answers; a node that never does within the deadline fails the attempt. */
async function waitForSsh(r: CommandRunner, deadline: number, signal?: AbortSignal): Promise<string> {
  const next = backoff(2000, 100)
  let refusedSince: number | null = null
  for (;;) {
    try {
      const out = await r.run('echo "home=$HOME"', { signal, timeoutMs: 30_000 })
      const home = /home=(.*)/.exec(out.stdout)?.[1]?.trim()
      if (out.code === 0 && home) return home
      throw new Error(`exit ${out.code}: ${out.stderr.trim()}`)
    } catch (e) {
      // Refused, timed out, no key yet (cloud-init still running): all normal while a VM boots.
      if (e instanceof RunnerTransportError && e.reason === 'auth') refusedSince ??= Date.now()
      if (signal?.aborted || Date.now() > deadline || (refusedSince !== null && Date.now() - refusedSince > AUTH_WAIT_MS)) throw e
      await pause(next(), signal)
    }
  }
}

export async function setupVmRuntime(d: CloudVmDriver, handle: ClusterHandle, o: OpOptions): Promise<ClusterHandle> {
  const log = o.log ?? (() => {})
  const runners = handle.nodes.map((_, rank) => vmRunner(vmConnectOf(handle, rank)))
  try {
    log('├── Waiting for SSH access.')
    const deadline = Date.now() + SSH_WAIT_MS
    const homes = await Promise.all(
      runners.map((r, rank) =>
        waitForSsh(r, deadline, o.signal).catch((e) => {
          throw new CapacityError(`Node ${rank} (${handle.nodes[rank]!.id}) never answered SSH: ${toSkyError(e).message}`, {
            infra: d.infra,
            region: handle.region,
            zone: handle.zone,
          })
        }),
      ),
    )
    const [head, ...workers] = runners
    const headHome = homes[0]!
    const runtimeDir = `${headHome}/${RUNTIME}`
    const [bin, keyPath] = await Promise.all([
      installRuntime(head!, headHome, d.infra, log),
      ensureClusterKey(head!, workers, runtimeDir, handle.nameOnCloud),
      d.nodeRelease(handle.region ?? '').then((rel) => writeNodeRelease(head!, runtimeDir, rel)),
    ])
    const nodes: NodeHandle[] = handle.nodes.map((n, rank) => {
      const c = vmConnectOf(handle, rank)
      const base: NodeHandle = { ...n, home: homes[rank]! }
      // Workers are reached from the head on their private IPs, with the cluster's own key.
      return rank === 0 ? base : { ...base, ssh: { host: n.ip, port: c.port, user: c.user, keyPath } }
    })
    return { ...handle, nodes, runtimeDir, agentCmd: [bin] }
  } finally {
    await Promise.all(runners.map((r) => r.close()))
  }
}
