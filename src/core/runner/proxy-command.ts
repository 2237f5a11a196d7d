// ProxyCommand for ssh2: run a command (OpenSSH's ProxyCommand, SkyPilot's `<cloud>.ssh_proxy_command`)
// whose stdin/stdout carry the SSH connection. `%h`, `%p`, `%r` and `%%` are expanded as OpenSSH
// does. The child is spawned asynchronously (never spawnSync: a proxy may need this very process
// to answer), and killed when the connection closes; what it printed on stderr explains a failure.
import { spawn, type ChildProcess } from 'node:child_process'
import { Duplex } from 'node:stream'

export function expandProxyCommand(cmd: string, host: string, port: number, user: string): string {
  return cmd.replace(/%[%hpr]/g, (m) => (m === '%%' ? '%' : m === '%h' ? host : m === '%p' ? String(port) : user))
}

export interface ProxySocket {
  sock: Duplex
  /** The proxy's stderr so far (trimmed, last 2000 characters). */
  stderr(): string
  /** Resolves with the exit code once the proxy process has ended. */
  exited: Promise<number | null>
  kill(): void
}

export function openProxyCommand(cmd: string): ProxySocket {
  const child: ChildProcess = spawn('/bin/sh', ['-c', cmd], { stdio: ['pipe', 'pipe', 'pipe'] })
  let err = ''
  child.stderr!.on('data', (b: Buffer) => {
    err = (err + b.toString()).slice(-2000)
  })
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code))
    child.once('error', (e) => {
      err += `\n${e.message}`
      resolve(null)
    })
  })
  const sock = Duplex.from({ readable: child.stdout!, writable: child.stdin! } as unknown as Parameters<typeof Duplex.from>[0])
  // A proxy that exits ends the socket; ssh2 then reports the connection closed.
  void exited.then(() => sock.destroy())
  sock.on('error', () => {})
  return {
    sock,
    stderr: () => err.trim(),
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    },
  }
}
