// How the API server and `ssh <cluster>` reach a cloud VM: its public IP (or private with
// `<cloud>.use_internal_ips`), the image's login user, the user's sky key, and the optional
// `<cloud>.ssh_proxy_command` (OpenSSH ProxyCommand with %h/%p: a jump host, a tunnel, a test map).
import { SshRunner } from '../../runner/ssh'
import type { CommandRunner } from '../../runner/types'
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

interface Pooled {
  runner: SshRunner
  users: number
  idle?: ReturnType<typeof setTimeout>
}

/** Open connections kept for a while after their last user (as OpenSSH's ControlPersist does). */
const pool = new Map<string, Pooled>()
const IDLE_MS = 60_000

/**
 * A runner for one VM. Connections are shared within this process and kept open for a minute
 * after the last user closed its runner, so `sky status -r`, logs and exec do not pay an SSH
 * handshake (and a proxy command) every time; a dropped connection is reopened on the next use.
 */
export function vmRunner(c: VmConnect, connectTimeoutMs = 15_000): CommandRunner {
  const key = [c.user, c.host, c.port, c.keyPath, c.proxyCommand ?? ''].join('\u0000')
  let e = pool.get(key)
  if (!e) {
    const runner = new SshRunner({
      host: c.host,
      port: c.port,
      user: c.user,
      identityFile: c.keyPath,
      ...(c.proxyCommand ? { proxyCommand: c.proxyCommand } : {}),
      connectTimeoutMs,
      label: `${c.user}@${c.host}`,
    })
    e = { runner, users: 0 }
    pool.set(key, e)
  }
  const entry = e
  entry.users++
  if (entry.idle) clearTimeout(entry.idle)
  entry.idle = undefined
  let released = false
  return {
    label: entry.runner.label,
    run: (cmd, o) => entry.runner.run(cmd, o),
    upload: (l, r, o) => entry.runner.upload(l, r, o),
    download: (r, l) => entry.runner.download(r, l),
    async close() {
      if (released) return
      released = true
      if (--entry.users > 0) return
      entry.idle = setTimeout(() => {
        if (entry.users > 0) return
        pool.delete(key)
        void entry.runner.close()
      }, IDLE_MS)
      entry.idle.unref?.()
    },
  }
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
