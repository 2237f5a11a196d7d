// Open one authenticated ssh2 connection to a node, optionally through a jump host (ProxyJump:
// the jump connection's `forwardOut` stream carries the inner connection) or a ProxyCommand (a
// child process's stdio carries it, see proxy-command.ts). With `knownHosts`, the host key is
// recorded on first use and verified afterwards (src/core/ssh/known-hosts.ts), jump hosts
// included. Failures become
// RunnerTransportErrors that name the node and say what went wrong in plain words.
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { Client, utils, type AnyAuthMethod, type ClientChannel, type ConnectConfig } from 'ssh2'
import { hostKeyCheck, type HostKeyCheck } from '../ssh/known-hosts'
import { RunnerTransportError, type TransportReason } from './errors'
import { expandProxyCommand, openProxyCommand, type ProxySocket } from './proxy-command'

export interface SshTarget {
  host: string
  /** Default 22. */
  port?: number
  user: string
  /** Private key file; `~` is expanded. */
  identityFile?: string
  /** Private key text (instead of, or besides, identityFile). */
  privateKey?: string | Buffer
  passphrase?: string
  /** Password auth (also answered to keyboard-interactive prompts). */
  password?: string
  /** Reach this node through another one (ProxyJump). */
  jump?: SshTarget
  /** Reach this node through a command's stdin/stdout (OpenSSH's ProxyCommand; %h %p %r expanded). */
  proxyCommand?: string
  /** known_hosts file to verify the host key against (and record it in, with `tofu`). */
  knownHosts?: string
  /** Record the key of a host not yet in `knownHosts` (default true). */
  tofu?: boolean
  /** TCP connect + handshake + auth budget. Default 10000 ms. */
  connectTimeoutMs?: number
  /** Default 15000 ms; 0 disables keepalives. */
  keepaliveIntervalMs?: number
  /** Unanswered keepalives before the connection counts as dead. Default 3. */
  keepaliveCountMax?: number
  /** Accept or reject the node's host key. Default: accept any (as SkyPilot does for its nodes). */
  hostVerifier?: (key: Buffer) => boolean
  /** ssh-agent socket; default $SSH_AUTH_SOCK, used (with ~/.ssh default keys) only when no key or password is set. */
  agent?: string
}

export function targetLabel(t: Pick<SshTarget, 'user' | 'host' | 'port'>): string {
  return `${t.user}@${t.host}:${t.port ?? 22}`
}

/** An open connection; `close()` also closes the jump connections under it. */
export interface SshConnection {
  client: Client
  label: string
  /** Resolves when the connection (or a jump under it) has closed. */
  closed: Promise<void>
  isOpen(): boolean
  close(): void
}

interface AuthPlan {
  methods: AnyAuthMethod[]
  what: string
}

function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p
}

function parseKeyOrThrow(label: string, key: string | Buffer, name: string, passphrase?: string): void {
  const parsed = utils.parseKey(key, passphrase)
  if (parsed instanceof Error) throw new RunnerTransportError(label, 'key', `cannot use private key ${name}: ${parsed.message}`)
}

function planAuth(t: SshTarget, label: string): AuthPlan {
  const methods: AnyAuthMethod[] = []
  const what: string[] = []
  const username = t.user
  const addKey = (key: string | Buffer, name: string) => {
    parseKeyOrThrow(label, key, name, t.passphrase)
    methods.push({ type: 'publickey', username, key, ...(t.passphrase ? { passphrase: t.passphrase } : {}) })
    what.push(`key ${name}`)
  }
  if (t.identityFile) {
    const path = expandHome(t.identityFile)
    if (!existsSync(path)) throw new RunnerTransportError(label, 'key', `identity file ${path} not found`)
    addKey(readFileSync(path), path)
  }
  if (t.privateKey) addKey(t.privateKey, '(inline)')
  if (t.password !== undefined) {
    const password = t.password
    methods.push({ type: 'password', username, password })
    methods.push({
      type: 'keyboard-interactive',
      username,
      prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password)),
    })
    what.push('password')
  }
  if (!methods.length) {
    const agent = t.agent ?? process.env.SSH_AUTH_SOCK
    if (agent) {
      methods.push({ type: 'agent', username, agent })
      what.push('ssh-agent')
    }
    for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
      const path = join(homedir(), '.ssh', name)
      if (!existsSync(path)) continue
      const key = readFileSync(path)
      if (utils.parseKey(key) instanceof Error) continue
      methods.push({ type: 'publickey', username, key })
      what.push(`key ${path}`)
    }
  }
  return { methods, what: what.join(', ') || 'no key or password configured' }
}

function describe(
  err: Error & { level?: string; code?: string },
  label: string,
  auth: AuthPlan,
  timeoutMs: number,
  elapsedMs: number,
  hostKey?: HostKeyCheck,
): RunnerTransportError {
  const msg = err.message
  let reason: TransportReason = 'protocol'
  let text = `ssh connection failed: ${msg}`
  if (hostKey?.refusal()) {
    reason = 'hostkey'
    text = `refused to connect: ${hostKey.refusal()}`
  } else if (err.level === 'client-authentication') {
    reason = 'auth'
    text = `authentication failed (${auth.what})`
  } else if (err.code === 'ECONNREFUSED' && elapsedMs >= 2500) {
    // Bun reports EHOSTUNREACH (no ARP/route answer, ~3 s) as ECONNREFUSED; a real refusal comes
    // back within a round trip.
    reason = 'unreachable'
    text = 'host unreachable (no answer)'
  } else if (err.code === 'ECONNREFUSED' || /connection refused/i.test(msg)) {
    reason = 'refused'
    text = 'connection refused'
  } else if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT') {
    reason = 'timeout'
    text = /keepalive/i.test(msg) ? 'connection lost (keepalive timeout)' : `connection timed out after ${Math.round(timeoutMs / 1000)}s`
  } else if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH' || /unreachable/i.test(msg)) {
    reason = 'unreachable'
    text = 'host unreachable'
  } else if (err.level === 'client-dns' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    reason = 'dns'
    text = 'could not resolve host name'
  } else if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
    reason = 'closed'
    text = 'connection closed by the remote host'
  }
  return new RunnerTransportError(label, reason, text, { cause: err })
}

/** Open a stream to `host:port` through an established connection (the jump host). */
function forward(via: SshConnection, host: string, port: number, label: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      via.client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
        if (!err) return resolve(stream)
        const refused = /refused/i.test(err.message)
        reject(
          new RunnerTransportError(label, refused ? 'refused' : 'unreachable', `cannot connect via jump host ${via.label}: ${err.message}`, {
            cause: err,
          }),
        )
      })
    } catch (err) {
      reject(new RunnerTransportError(label, 'closed', `jump host ${via.label} connection is closed`, { cause: err }))
    }
  })
}

/** Connect and authenticate. Throws RunnerTransportError. */
export async function openSshConnection(t: SshTarget): Promise<SshConnection> {
  const port = t.port ?? 22
  const label = targetLabel(t)
  const timeoutMs = t.connectTimeoutMs ?? 10_000
  const auth = planAuth(t, label)
  const jump = t.jump ? await openSshConnection({ connectTimeoutMs: timeoutMs, knownHosts: t.knownHosts, tofu: t.tofu, ...t.jump }) : null
  const hostKey = t.knownHosts ? hostKeyCheck(t.knownHosts, t.host, port, { tofu: t.tofu ?? true }) : undefined
  const shownLabel = jump ? `${label} (via ${jump.label})` : label

  let sock: ClientChannel | ProxySocket['sock'] | undefined
  try {
    if (jump) sock = await forward(jump, t.host, port, shownLabel)
  } catch (err) {
    jump?.close()
    throw err
  }
  const proxy = !jump && t.proxyCommand ? openProxyCommand(expandProxyCommand(t.proxyCommand, t.host, port, t.user)) : null
  if (proxy) sock = proxy.sock

  const client = new Client()
  const pending = [...auth.methods]
  const config: ConnectConfig = {
    host: t.host,
    port,
    username: t.user,
    readyTimeout: timeoutMs,
    keepaliveInterval: t.keepaliveIntervalMs ?? 15_000,
    keepaliveCountMax: t.keepaliveCountMax ?? 3,
    hostVerifier: t.hostVerifier ?? (hostKey ? (key: Buffer) => hostKey.verify(key) : () => true),
    ...(hostKey?.algorithms ? { algorithms: { serverHostKey: hostKey.algorithms as never } } : {}),
    authHandler: (_left, _partial, next) => next(pending.shift() ?? (false as never)),
    ...(sock ? { sock } : {}),
  }

  let open = false
  let resolveClosed = () => {}
  const closed = new Promise<void>((r) => (resolveClosed = r))
  const conn: SshConnection = {
    client,
    label: shownLabel,
    closed,
    isOpen: () => open,
    close: () => {
      open = false
      client.end()
      jump?.close()
      proxy?.kill()
    },
  }

  const startedAt = Date.now()
  await new Promise<void>((resolve, reject) => {
    let settled = false
    const timer = setTimeout(() => fail(Object.assign(new Error('handshake timeout'), { level: 'client-timeout' })), timeoutMs + 1000)
    const fail = (err: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      client.destroy()
      jump?.close()
      const e = describe(err, shownLabel, auth, timeoutMs, Date.now() - startedAt, hostKey)
      if (!proxy || e.reason === 'hostkey') return reject(e)
      // The proxy's own words say why (refused address, unknown host, jump host down): give it a
      // moment to finish writing them.
      void Promise.race([proxy.exited, Bun.sleep(300)]).then(() => {
        proxy.kill()
        const why = proxy.stderr()
        reject(why && e.reason !== 'auth' ? new RunnerTransportError(shownLabel, 'unreachable', `proxy command failed: ${why.split('\n').pop()}`, { cause: err }) : e)
      })
    }
    client.once('ready', () => {
      settled = true
      open = true
      clearTimeout(timer)
      resolve()
    })
    client.on('error', (err) => fail(err))
    client.on('close', () => {
      open = false
      jump?.close()
      proxy?.kill()
      resolveClosed()
      fail(Object.assign(new Error('connection closed during handshake'), { code: 'ECONNRESET' }))
    })
    jump?.closed.then(() => {
      open = false
      client.destroy()
    })
    client.connect(config)
  })
  return conn
}
