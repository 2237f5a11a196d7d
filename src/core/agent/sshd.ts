// `sky _sshd`: a small SSH server (ssh2) that this binary brings to nodes without an sshd, such
// as Kubernetes pods built from any image. It serves what sky and users need: commands with
// stdin/stdout/stderr and exit status or signal, interactive shells on a pseudo-terminal (with
// window changes), environment requests, `ssh -L` forwarding, and SFTP when the image has an
// sftp-server binary. Commands run as the server's own user, in its home directory.
//
//   sky _sshd --listen IP:PORT [--root DIR]   key-only: keys in DIR/authorized_keys (the head's
//                                              cluster key); the pod network between nodes
//   sky _sshd --stdio [--root DIR]            one connection on stdin/stdout, no user auth: it is
//                                              started through an exec stream the API server
//                                              opened for an authorized user (`ssh <cluster>`)
//   sky _sshd --print-host-key [--root DIR]   the host key's public half, for known_hosts
//
// The host key (DIR/ssh_host_ed25519_key) is made on first use; the API server reads its public
// half through exec and records it, so both the head's agent and `ssh <cluster>` verify it. With
// --listen, DIR/sshd.ready holds the address once the port is bound.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { Duplex } from 'node:stream'
import { timingSafeEqual } from 'node:crypto'
import type { AuthContext, Connection, ServerChannel, Session } from 'ssh2'
import { createOnce } from '../../lib/create-once'

interface Options {
  listen?: { host: string; port: number }
  stdio: boolean
  /** Make the host key if needed, print its public half (`type base64`) and exit. */
  printHostKey: boolean
  root: string
}

function parse(argv: string[]): Options | string {
  const o: Options = { stdio: false, printHostKey: false, root: join(process.env.HOME || homedir(), '.sky-runtime') }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--stdio') o.stdio = true
    else if (a === '--print-host-key') o.printHostKey = true
    else if (a === '--root') o.root = argv[++i] ?? ''
    else if (a === '--listen') {
      const m = /^(.*):(\d+)$/.exec(argv[++i] ?? '')
      if (!m) return '--listen needs IP:PORT'
      o.listen = { host: m[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(m[2]) }
    } else return `unknown argument ${a}`
  }
  if ([o.stdio, !!o.listen, o.printHostKey].filter(Boolean).length !== 1) return 'give exactly one of --stdio, --listen IP:PORT, --print-host-key'
  return o
}

/** The host key, made once (two servers starting together agree on one). */
function hostKey(root: string, utils: typeof import('ssh2').utils): string {
  const path = join(root, 'ssh_host_ed25519_key')
  if (!existsSync(path)) {
    mkdirSync(root, { recursive: true, mode: 0o700 })
    createOnce(path, utils.generateKeyPairSync('ed25519').private)
  }
  return readFileSync(path, 'utf8')
}

function authorized(root: string, ctx: AuthContext, utils: typeof import('ssh2').utils): boolean {
  if (ctx.method !== 'publickey') return false
  let text = ''
  try {
    text = readFileSync(join(root, 'authorized_keys'), 'utf8')
  } catch {
    return false
  }
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue
    const parsed = utils.parseKey(line.trim())
    if (parsed instanceof Error) continue
    const key = Array.isArray(parsed) ? parsed[0]! : parsed
    const pub = key.getPublicSSH()
    if (key.type !== ctx.key.algo || pub.length !== ctx.key.data.length || !timingSafeEqual(pub, ctx.key.data)) continue
    // Without a signature the client only asks whether the key would do.
    if (!ctx.signature) return true
    return key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true
  }
  return false
}

const SFTP_SERVERS = ['/usr/lib/openssh/sftp-server', '/usr/libexec/openssh/sftp-server', '/usr/lib/ssh/sftp-server', '/usr/libexec/sftp-server']

function shell(): string {
  return process.env.SHELL && existsSync(process.env.SHELL) ? process.env.SHELL : existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh'
}

interface Pty {
  cols: number
  rows: number
  term: string
}

/** Run `argv` for the channel: on a terminal when a pty was asked for, else on pipes. */
function runOn(ch: ServerChannel, argv: string[], env: Record<string, string>, pty: Pty | null): { resize(cols: number, rows: number): void; signal(name: string): void } {
  const cwd = process.env.HOME || homedir()
  const fullEnv = { ...process.env, ...env } as Record<string, string>
  const finish = (code: number | null, signal: string | null) => {
    if (signal) ch.exit(signal.replace(/^SIG/, ''), false, '')
    else ch.exit(code ?? 0)
    ch.end()
  }
  if (pty) {
    const proc = Bun.spawn(argv, {
      cwd,
      env: { ...fullEnv, TERM: pty.term || 'xterm' },
      terminal: { cols: pty.cols || 80, rows: pty.rows || 24, data: (_t, d) => void ch.write(Buffer.from(d)) },
    })
    ch.on('data', (d: Buffer) => proc.terminal?.write(d))
    void proc.exited.then(async () => {
      await Bun.sleep(20) // the terminal's last output
      proc.terminal?.close()
      finish(proc.signalCode ? null : proc.exitCode, proc.signalCode ? String(proc.signalCode) : null)
    })
    return { resize: (c, r) => proc.terminal?.resize(c, r), signal: (n) => proc.kill(`SIG${n}` as NodeJS.Signals) }
  }
  let child: ChildProcess
  try {
    child = spawn(argv[0]!, argv.slice(1), { cwd, env: fullEnv, stdio: ['pipe', 'pipe', 'pipe'] })
  } catch (e) {
    ch.stderr.write(`${(e as Error).message}\n`)
    finish(127, null)
    return { resize() {}, signal() {} }
  }
  let outputs = 2
  let exit: [number | null, string | null] | null = null
  const maybeFinish = () => {
    if (exit && outputs === 0) finish(...exit)
  }
  child.stdout!.pipe(ch, { end: false }).on('error', () => {})
  child.stderr!.pipe(ch.stderr, { end: false }).on('error', () => {})
  child.stdout!.on('end', () => (outputs--, maybeFinish()))
  child.stderr!.on('end', () => (outputs--, maybeFinish()))
  ch.pipe(child.stdin!).on('error', () => {})
  child.on('error', (e) => {
    ch.stderr.write(`${e.message}\n`)
    exit = [127, null]
    outputs = 0
    maybeFinish()
  })
  child.on('exit', (code, sig) => {
    exit = [code, sig]
    maybeFinish()
  })
  return { resize() {}, signal: (n) => child.kill(`SIG${n}` as NodeJS.Signals) }
}

function serveSession(session: Session): void {
  let pty: Pty | null = null
  const env: Record<string, string> = {}
  let running: ReturnType<typeof runOn> | null = null
  session.on('pty', (accept, _reject, info) => {
    pty = { cols: info.cols, rows: info.rows, term: info.term }
    accept?.()
  })
  session.on('env', (accept, _reject, info) => {
    env[info.key] = info.val
    accept?.()
  })
  session.on('window-change', (accept, _reject, info) => {
    running?.resize(info.cols, info.rows)
    accept?.()
  })
  session.on('signal', (accept, _reject, info) => {
    running?.signal(info.name)
    accept?.()
  })
  session.on('exec', (accept, _reject, info) => {
    running = runOn(accept(), [shell(), '-c', info.command], env, pty)
  })
  session.on('shell', (accept) => {
    running = runOn(accept(), [shell(), '-l'], env, pty)
  })
  session.on('subsystem', (accept, reject, info) => {
    const sftp = info.name === 'sftp' ? SFTP_SERVERS.find((p) => existsSync(p)) : undefined
    if (!sftp) return reject()
    running = runOn(accept(), [sftp], env, null)
  })
}

function serveConnection(client: Connection, auth: (ctx: AuthContext) => boolean): void {
  client.on('authentication', (ctx) => (auth(ctx) ? ctx.accept() : ctx.reject(['publickey'])))
  client.on('ready', () => {
    client.on('session', (accept) => serveSession(accept()))
    // `ssh -L`: connections the client forwards to an address reachable from this node.
    client.on('tcpip', (accept, reject, info) => {
      const sock = connect(info.destPort, info.destIP)
      sock.once('connect', () => {
        const ch = accept()
        sock.pipe(ch).pipe(sock)
        ch.on('close', () => sock.destroy())
        sock.on('close', () => ch.close())
      })
      sock.once('error', () => reject())
    })
  })
  client.on('error', () => {})
}

/** stdin/stdout as the one connection's socket. */
function stdioSocket(): Duplex {
  const sock = new Duplex({
    read() {
      process.stdin.resume()
    },
    write(chunk, _enc, cb) {
      process.stdout.write(chunk, cb)
    },
    final(cb) {
      cb()
    },
  })
  process.stdin.on('data', (d) => {
    if (!sock.push(d)) process.stdin.pause()
  })
  process.stdin.on('end', () => sock.push(null))
  return sock
}

export async function runSshd(argv: string[]): Promise<number> {
  const o = parse(argv)
  if (typeof o === 'string') {
    process.stderr.write(`sky _sshd: ${o}\n`)
    return 2
  }
  const { Server, utils } = await import('ssh2')
  const key = hostKey(o.root, utils)
  if (o.printHostKey) {
    const parsed = utils.parseKey(key)
    const k = Array.isArray(parsed) ? parsed[0]! : parsed
    if (k instanceof Error) throw k
    process.stdout.write(`${k.type} ${k.getPublicSSH().toString('base64')}\n`)
    return 0
  }
  if (o.stdio) {
    const server = new Server({ hostKeys: [key] })
    const done = new Promise<number>((resolve) => {
      server.on('connection', (client: Connection) => {
        serveConnection(client, () => true)
        client.on('close', () => resolve(0))
        client.on('end', () => resolve(0))
      })
    })
    server.injectSocket(stdioSocket() as never)
    const code = await done
    process.stdout.end()
    return code
  }
  const ready = join(o.root, 'sshd.ready')
  rmSync(ready, { force: true })
  const server = new Server({ hostKeys: [key] }, (client: Connection) => serveConnection(client, (ctx) => authorized(o.root, ctx, utils)))
  return new Promise<number>((resolve) => {
    server.on('error', (e: Error) => {
      process.stderr.write(`sky _sshd: ${e.message}\n`)
      resolve(1)
    })
    server.listen(o.listen!.port, o.listen!.host, () => {
      writeFileSync(ready, `${o.listen!.host}:${o.listen!.port}\n`)
    })
  })
}
