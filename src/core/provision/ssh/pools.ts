// SSH node pools: `~/.sky/ssh_node_pools.yaml` (SkyPilot's format). Top-level keys are pool names;
// each pool has `hosts` (plain addresses or `{ip, user, identity_file, password, port, jump_host}`)
// and optional defaults `user`, `identity_file`, `password`, `port`, `jump_host` that hosts inherit.
// `port` and `jump_host` are our additions. A host may be an alias of ~/.ssh/config: its
// HostName, Port, User, IdentityFile, ProxyJump and ProxyCommand fill in what the pool file does
// not set. Every host's key is checked against $SKY_HOME/known_hosts (recorded on first use).
// Every problem is reported at once as a ValidationError naming the field
// (`my-pool.hosts[1].ip: missing`).
import { existsSync, readFileSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { join } from 'node:path'
import { parseDocument } from 'yaml'
import { ValidationError, type FieldIssue } from '../../errors'
import { paths } from '../../paths'
import type { SshTarget } from '../../runner/ssh-connect'
import { resolveSshConfig, type SshConfigHost } from '../../ssh/config'

/** One node, with everything SshRunner needs (assignable to SshRunnerOptions). */
export interface SshPoolHost extends SshTarget {
  /** The address as written in the file (IP or host name). */
  host: string
  port: number
  user: string
  identityFile?: string
  password?: string
  jump?: SshPoolHost
  /** The ~/.ssh/config alias the pool file named, when it resolved to another address. */
  alias?: string
}

export interface SshPool {
  name: string
  hosts: SshPoolHost[]
  user?: string
  identityFile?: string
  password?: string
  port?: number
}

export interface ParsePoolsOptions {
  /** Name of the file in messages. */
  source?: string
  /** Check that identity files exist. Default true. */
  checkFiles?: boolean
}

const POOL_KEYS = ['hosts', 'user', 'identity_file', 'password', 'port', 'jump_host']
const HOST_KEYS = ['ip', 'user', 'identity_file', 'password', 'port', 'jump_host']
const POOL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p
}

interface Defaults {
  user?: string
  identityFile?: string
  password?: string
  port?: number
  jump?: SshPoolHost
}

class Checker {
  issues: FieldIssue[] = []
  constructor(private checkFiles: boolean) {}

  add(path: string, message: string, value?: unknown): undefined {
    this.issues.push(value === undefined ? { path, message } : { path, message, value })
    return undefined
  }

  unknownKeys(o: Obj, allowed: string[], path: string): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) this.add(`${path}.${k}`, `unknown field (allowed: ${allowed.join(', ')})`)
    }
  }

  str(v: unknown, path: string): string | undefined {
    if (v === undefined || v === null) return undefined
    if (typeof v === 'string' && v.trim()) return v.trim()
    return this.add(path, 'must be a non-empty string', v)
  }

  address(v: unknown, path: string): string | undefined {
    const s = this.str(v, path)
    if (s && /\s/.test(s)) return this.add(path, 'must be an IP address or host name', v)
    return s
  }

  password(v: unknown, path: string): string | undefined {
    if (typeof v === 'number') return String(v)
    if (v === '') return ''
    return this.str(v, path)
  }

  port(v: unknown, path: string): number | undefined {
    if (v === undefined || v === null) return undefined
    if (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535) return v as number
    return this.add(path, 'must be a port number (1-65535)', v)
  }

  identityFile(v: unknown, path: string): string | undefined {
    const s = this.str(v, path)
    if (s === undefined) return undefined
    const file = expandHome(s)
    if (this.checkFiles && !existsSync(file)) return this.add(path, `file ${file} not found`)
    return file
  }

  /** A jump host: `[user@]host[:port]` or a mapping like a host entry. */
  jump(v: unknown, path: string, d: Defaults): SshPoolHost | undefined {
    if (v === undefined || v === null) return undefined
    if (typeof v === 'string') {
      const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/.exec(v.trim())
      if (!m) return this.add(path, 'must be [user@]host[:port] or a mapping with ip', v)
      const port = m[3] === undefined ? undefined : this.port(Number(m[3]), path)
      return host({ host: m[2]!.replace(/^\[|\]$/g, ''), user: m[1], port }, { ...d, jump: undefined })
    }
    if (!isObj(v)) return this.add(path, 'must be [user@]host[:port] or a mapping with ip', v)
    return this.hostEntry(v, path, { ...d, jump: undefined }, false)
  }

  hostEntry(v: Obj, path: string, d: Defaults, allowJump = true): SshPoolHost | undefined {
    this.unknownKeys(v, allowJump ? HOST_KEYS : HOST_KEYS.filter((k) => k !== 'jump_host'), path)
    const ip = v.ip === undefined || v.ip === null ? this.add(`${path}.ip`, 'missing') : this.address(v.ip, `${path}.ip`)
    const entry = {
      host: ip,
      user: this.str(v.user, `${path}.user`),
      identityFile: this.identityFile(v.identity_file, `${path}.identity_file`),
      password: this.password(v.password, `${path}.password`),
      port: this.port(v.port, `${path}.port`),
      jump: allowJump && 'jump_host' in v ? this.jump(v.jump_host, `${path}.jump_host`, d) : d.jump,
    }
    if (!ip) return undefined
    return host({ ...entry, host: ip }, d)
  }
}

/** ~/.ssh/config as read for one parse of the pools file. */
let sshConfigFor: (alias: string) => SshConfigHost = (alias) => resolveSshConfig(alias)

/** `[user@]host[:port]` hops of a ProxyJump, nearest first, as a chain of jump hosts. */
function jumpChain(hops: string[], depth = 0): SshPoolHost | undefined {
  let via: SshPoolHost | undefined
  for (const hop of hops) {
    const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/.exec(hop)
    if (!m) continue
    const h = host({ host: m[2]!.replace(/^\[|\]$/g, ''), user: m[1], port: m[3] ? Number(m[3]) : undefined, jump: via }, {}, depth + 1)
    via = h
  }
  return via
}

function host(e: { host: string; user?: string; identityFile?: string; password?: string; port?: number; jump?: SshPoolHost }, d: Defaults, depth = 0): SshPoolHost {
  // What the pool file leaves open comes from ~/.ssh/config (the host may be an alias there).
  const cfg = depth < 8 ? sshConfigFor(e.host) : { identityFiles: [] }
  const h: SshPoolHost = {
    host: cfg.hostName ?? e.host,
    port: e.port ?? d.port ?? cfg.port ?? 22,
    user: e.user ?? d.user ?? cfg.user ?? userInfo().username,
    knownHosts: paths.knownHosts(),
  }
  const identityFile = e.identityFile ?? d.identityFile ?? cfg.identityFiles.find((f) => existsSync(f))
  const password = e.password ?? d.password
  if (identityFile) h.identityFile = identityFile
  if (password !== undefined) h.password = password
  const jump = 'jump' in e ? e.jump : (d.jump ?? (cfg.proxyJump?.length ? jumpChain(cfg.proxyJump, depth) : undefined))
  if (jump) h.jump = jump
  else if (cfg.proxyCommand && !('jump' in e && e.jump)) h.proxyCommand = cfg.proxyCommand
  if (h.host !== e.host) h.alias = e.host
  return h
}

/** Parse and validate the pools file text. Throws ValidationError listing every problem. */
export function parseSshPools(text: string, opts: ParsePoolsOptions = {}): Record<string, SshPool> {
  const source = opts.source ?? 'ssh_node_pools.yaml'
  // ~/.ssh/config is read once per parse.
  const configCache = new Map<string, SshConfigHost>()
  sshConfigFor = (alias) => {
    let c = configCache.get(alias)
    if (!c) configCache.set(alias, (c = resolveSshConfig(alias)))
    return c
  }
  const doc = parseDocument(text, { uniqueKeys: true })
  if (doc.errors.length) {
    throw new ValidationError(doc.errors.map((e) => ({ path: '', message: `${source}: ${e.message.split('\n')[0]}` })))
  }
  const root = doc.toJS() as unknown
  if (root === null || root === undefined) return {}
  if (!isObj(root)) throw new ValidationError([{ path: '', message: `${source}: must be a mapping of pool name to pool` }])

  const c = new Checker(opts.checkFiles ?? true)
  const pools: Record<string, SshPool> = {}
  for (const [name, raw] of Object.entries(root)) {
    if (!POOL_NAME.test(name)) c.add(name, "pool names may only use letters, digits, '.', '_' and '-'")
    if (!isObj(raw)) {
      c.add(name, 'must be a mapping with hosts')
      continue
    }
    c.unknownKeys(raw, POOL_KEYS, name)
    const d: Defaults = {
      user: c.str(raw.user, `${name}.user`),
      identityFile: c.identityFile(raw.identity_file, `${name}.identity_file`),
      password: c.password(raw.password, `${name}.password`),
      port: c.port(raw.port, `${name}.port`),
    }
    d.jump = c.jump(raw.jump_host, `${name}.jump_host`, d)
    const hosts: SshPoolHost[] = []
    if (raw.hosts === undefined || raw.hosts === null) c.add(`${name}.hosts`, 'missing')
    else if (!Array.isArray(raw.hosts) || raw.hosts.length === 0) c.add(`${name}.hosts`, 'must be a non-empty list', raw.hosts)
    else {
      raw.hosts.forEach((h: unknown, i: number) => {
        const path = `${name}.hosts[${i}]`
        const entry = isObj(h) ? c.hostEntry(h, path, d) : typeof h === 'string' || h === null ? fromString(c, h, path, d) : c.add(path, 'must be an address or a mapping with ip', h)
        if (entry) hosts.push(entry)
      })
    }
    const pool: SshPool = { name, hosts }
    if (d.user) pool.user = d.user
    if (d.identityFile) pool.identityFile = d.identityFile
    if (d.password !== undefined) pool.password = d.password
    if (d.port) pool.port = d.port
    pools[name] = pool
  }
  if (c.issues.length) throw new ValidationError(c.issues, { hint: `Fix ${source} and retry.` })
  return pools
}

function fromString(c: Checker, v: string | null, path: string, d: Defaults): SshPoolHost | undefined {
  const addr = v === null ? c.add(path, 'missing') : c.address(v, path)
  return addr ? host({ host: addr }, d) : undefined
}

/** The pools in `~/.sky/ssh_node_pools.yaml` (or `file`); none when the file does not exist. */
export function loadSshPools(file: string = paths.sshNodePools(), opts: Omit<ParsePoolsOptions, 'source'> = {}): Record<string, SshPool> {
  if (!existsSync(file)) return {}
  return parseSshPools(readFileSync(file, 'utf8'), { ...opts, source: file })
}
