// Network isolation for replicas that share a machine (local infra): every replica of a service
// listens on the same port, so each gets its own network namespace where the OS allows it.
//   root      → `ip netns` + veth; the replica is reached at its namespace's 10.247.x.y address.
//   rootless  → user + network namespace with a port forwarder; reached at 127.0.0.1:<hostPort>.
//   neither   → the first replica may use this machine's network; a second one is refused with
//               an error that says how to enable isolation (planReplicaNetwork).
import { ResourcesUnavailableError } from '../../errors'
import { createRootNetwork, destroyRootNetwork, rootWrap, type RootNetwork } from './root'
import { createUserNetwork, destroyUserNetwork, userWrap, type UserNetwork } from './userns'

export type IsolationMode = 'netns' | 'userns'

export type ReplicaNetwork = (RootNetwork | UserNetwork) & {
  tag: string
  replicaId: number
  /** The port the replica listens on inside. */
  port: number
}

export interface IsolationSupport {
  mode: IsolationMode | null
  /** Why the better modes are not available. */
  reason?: string
}

let cached: IsolationSupport | undefined

/** What this machine allows, best first (cached per process). */
export function detectIsolation(): IsolationSupport {
  if (cached) return cached
  const why: string[] = []
  const hasIp = !!Bun.which('ip')
  if (!hasIp) why.push("'ip' (iproute2) is not installed")
  if (process.getuid?.() === 0 && hasIp) {
    const r = Bun.spawnSync(['ip', 'netns', 'list'], { stdout: 'ignore', stderr: 'pipe' })
    if (r.exitCode === 0) return (cached = { mode: 'netns' })
    why.push(`ip netns does not work here: ${r.stderr.toString().trim()}`)
  } else if (process.getuid?.() !== 0) why.push('not running as root (no ip netns)')
  if (!Bun.which('unshare') || !Bun.which('nsenter')) why.push("'unshare'/'nsenter' (util-linux) are not installed")
  else if (hasIp) {
    const r = Bun.spawnSync(['unshare', '--user', '--map-root-user', '--net', '--', 'ip', 'link', 'set', 'lo', 'up'], { stdout: 'ignore', stderr: 'pipe' })
    if (r.exitCode === 0) return (cached = { mode: 'userns', reason: why.join('; ') })
    why.push(`user namespaces are not allowed: ${r.stderr.toString().trim()}`)
  }
  return (cached = { mode: null, reason: why.join('; ') })
}

/**
 * Whether the next replica on this machine gets its own network. `sharing` replicas of the
 * service already on this machine listen on the same port: without isolation only the first may
 * run; a second is refused with a clear error.
 */
export function planReplicaNetwork(support: IsolationSupport, sharing: number, port: number, service: string): { isolate: IsolationMode } | { isolate: false } {
  if (support.mode) return { isolate: support.mode }
  if (sharing === 0) return { isolate: false }
  throw new ResourcesUnavailableError(
    `Replica ${sharing + 1} of service '${service}' cannot run on this machine: every replica listens on port ${port}, and this machine cannot give the replica its own network (${support.reason}).`,
    { hint: "Run the API server as root (ip netns), or allow unprivileged user namespaces (sysctl user.max_user_namespaces > 0), or place replicas on other infra (SSH hosts, Kubernetes, clouds)." },
  )
}

export interface CreateOptions {
  /** Per-run tag in every name (1-7 lower-case letters/digits), e.g. from the service id. */
  tag: string
  replicaId: number
  port: number
  /** Directory for the rootless mode's Unix socket. */
  dir: string
  mode?: IsolationMode
  /** Environment of the forwarders. */
  env?: Record<string, string>
}

export async function createReplicaNetwork(opts: CreateOptions): Promise<ReplicaNetwork> {
  const mode = opts.mode ?? detectIsolation().mode
  if (!mode) throw new ResourcesUnavailableError(`No network isolation for replicas on this machine: ${detectIsolation().reason}`)
  const base = { tag: opts.tag, replicaId: opts.replicaId, port: opts.port }
  if (mode === 'netns') return { ...(await createRootNetwork(opts.tag, opts.replicaId)), ...base }
  const name = `sky-${opts.tag}-r${opts.replicaId}`
  return { ...(await createUserNetwork(name, opts.port, opts.dir, opts.env)), ...base }
}

/** Where the load balancer and the readiness probe reach the replica. */
export function replicaUrl(net: ReplicaNetwork): string {
  return net.mode === 'netns' ? `http://${net.address}:${net.port}` : `http://127.0.0.1:${net.hostPort}`
}

/** argv that runs `argv` inside the replica's network. */
export function wrapCommand(net: ReplicaNetwork, argv: string[]): string[] {
  return net.mode === 'netns' ? rootWrap(net.name, argv) : userWrap(net, argv)
}

/** Kill everything in the network and remove it. Safe to call twice. */
export function destroyReplicaNetwork(net: ReplicaNetwork): void {
  if (net.mode === 'netns') destroyRootNetwork(net.tag, net.replicaId)
  else destroyUserNetwork(net)
}

export { listRootNetworks } from './root'
