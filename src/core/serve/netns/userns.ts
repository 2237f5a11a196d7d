// Replica networks without root: a user + network namespace (`unshare --user --map-root-user
// --net`) held open by a forwarder inside it, which listens on a Unix socket (reachable from
// outside: it is a file) and dials the replica's port on the namespace's loopback. A second
// forwarder outside listens on a free 127.0.0.1 port and dials that socket, so the replica is
// reached at http://127.0.0.1:<hostPort>. Commands enter the namespace with nsenter. The
// namespace has no route out (loopback only).
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { pidAlive } from '../../../lib/proc'
import { selfCommand } from '../../../lib/self-exec'

export interface UserNetwork {
  mode: 'userns'
  name: string
  /** The forwarder inside the namespace; the namespace lives as long as it does. */
  holderPid: number
  /** The forwarder outside. */
  forwarderPid: number
  address: '127.0.0.1'
  /** Port on 127.0.0.1 that reaches the replica's port inside. */
  hostPort: number
  socketPath: string
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

function netnsOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`)
  } catch {
    return undefined
  }
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, dead: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await ok())) {
    if (dead()) throw new Error(`${what}: the process exited`)
    if (Date.now() > deadline) throw new Error(`${what}: timed out`)
    await Bun.sleep(10)
  }
}

function start(argv: string[], env?: Record<string, string>): { pid: number; exited: () => boolean } {
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: 'ignore', env: { ...process.env, ...env } })
  let exited = false
  child.on('exit', () => (exited = true))
  child.on('error', () => (exited = true))
  child.unref()
  return { pid: child.pid ?? -1, exited: () => exited || child.pid === undefined }
}

/**
 * A user + network namespace for one replica whose server listens on `port` inside it. `dir`
 * holds the Unix socket (it must be on a filesystem both sides see).
 */
export async function createUserNetwork(name: string, port: number, dir: string, env?: Record<string, string>): Promise<UserNetwork> {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const socketPath = join(dir, `${name}.sock`)
  rmSync(socketPath, { force: true })
  const inside = selfCommand(['_serve-lb', 'forward', '--listen-unix', socketPath, '--to', `127.0.0.1:${port}`])
  // Loopback starts down in a new namespace; bring it up, then become the forwarder.
  const holder = start(['unshare', '--user', '--map-root-user', '--net', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...inside], env)
  const hostNs = netnsOf(process.pid)
  try {
    await waitFor('starting the replica namespace', () => existsSync(socketPath) && netnsOf(holder.pid) !== hostNs, holder.exited)
  } catch (e) {
    killPid(holder.pid)
    throw new Error(`${(e as Error).message}. User namespaces may be disabled here (sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone) or 'unshare'/'ip' missing.`)
  }
  const hostPort = await freePort()
  const outside = start(selfCommand(['_serve-lb', 'forward', '--listen', `127.0.0.1:${hostPort}`, '--to-unix', socketPath]), env)
  try {
    await waitFor('starting the port forwarder', () => tcpOpen(hostPort), outside.exited)
  } catch (e) {
    killPid(outside.pid)
    killPid(holder.pid)
    throw e
  }
  return { mode: 'userns', name, holderPid: holder.pid, forwarderPid: outside.pid, address: '127.0.0.1', hostPort, socketPath }
}

function tcpOpen(port: number): Promise<boolean> {
  return Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {}, open(s) { s.end() } } }).then(
    () => true,
    () => false,
  )
}

/** argv that runs `argv` inside the namespace. */
export function userWrap(net: Pick<UserNetwork, 'holderPid'>, argv: string[]): string[] {
  return ['nsenter', `--target=${net.holderPid}`, '--user', '--net', '--preserve-credentials', '--', ...argv]
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {}
}

/** Every process in the namespace (same user), the forwarders, and the socket. */
export function destroyUserNetwork(net: Pick<UserNetwork, 'holderPid' | 'forwarderPid' | 'socketPath'>): void {
  const ns = pidAlive(net.holderPid) ? netnsOf(net.holderPid) : undefined
  if (ns) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      const pid = Number(entry)
      if (pid !== process.pid && netnsOf(pid) === ns) killPid(pid)
    }
  }
  killPid(net.holderPid)
  killPid(net.forwarderPid)
  rmSync(net.socketPath, { force: true })
}
