// How the API server and `ssh <cluster>` reach a cloud VM: its public IP (or private with
// `<cloud>.use_internal_ips`), the image's login user, the user's sky key, and the optional
// `<cloud>.ssh_proxy_command` (OpenSSH ProxyCommand with %h/%p: a jump host, a tunnel, a test map).
import { SshRunner } from '../../runner/ssh'
import type { ClusterHandle, SshHostEntry } from '../types'

/** NodeHandle.connect of a cloud VM. */
export interface VmConnect {
  host: string
  port: number
  user: string
  /** The user's private key on the API server. */
  keyPath: string
  proxyCommand: string | null
}

export function vmConnectOf(handle: ClusterHandle, rank: number): VmConnect {
  const c = handle.nodes[rank]?.connect as VmConnect | undefined
  if (!c?.host) throw new Error(`node ${rank} of ${handle.nameOnCloud} has no address`)
  return c
}

export function vmRunner(c: VmConnect, connectTimeoutMs = 15_000): SshRunner {
  return new SshRunner({
    host: c.host,
    port: c.port,
    user: c.user,
    identityFile: c.keyPath,
    ...(c.proxyCommand ? { proxyCommand: c.proxyCommand } : {}),
    connectTimeoutMs,
    label: `${c.user}@${c.host}`,
  })
}

/** `ssh <cluster>` (head) and `ssh <cluster>-worker<N>` entries for the generated OpenSSH config. */
export function vmSshEntries(name: string, handle: ClusterHandle): SshHostEntry[] {
  return handle.nodes.map((n, rank) => {
    const c = n.connect as VmConnect
    const e: SshHostEntry = { alias: rank === 0 ? name : `${name}-worker${rank}`, hostName: c.host, user: c.user, port: c.port, identityFile: c.keyPath }
    if (c.proxyCommand) e.proxyCommand = c.proxyCommand
    return e
  })
}
