// OpenSSH client configuration (~/.ssh/config), so an SSH node pool may name hosts by their
// aliases: HostName, User, Port, IdentityFile, IdentitiesOnly, ProxyJump and ProxyCommand of the
// matching `Host` blocks apply, with OpenSSH's rules: blocks are read in order (Include inlined),
// a pattern list matches with `*`/`?` wildcards unless a `!pattern` matches, and for each keyword
// the first value found wins. `Match` blocks are not evaluated (their options are skipped).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join } from 'node:path'

export interface SshConfigHost {
  hostName?: string
  user?: string
  port?: number
  identityFiles: string[]
  identitiesOnly?: boolean
  /** `[user@]host[:port]` hops, nearest first; undefined when not set, [] for `none`. */
  proxyJump?: string[]
  /** The command as written (its %h %p %r are expanded where it runs); undefined when not set or `none`. */
  proxyCommand?: string
}

interface Block {
  patterns: string[]
  /** Keyword (lower case) → values in file order. */
  opts: [string, string][]
}

function expandTilde(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p
}

function globToRe(p: string): RegExp {
  return new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i')
}

function matches(patterns: string[], host: string): boolean {
  let hit = false
  for (const raw of patterns) {
    const neg = raw.startsWith('!')
    const re = globToRe(neg ? raw.slice(1) : raw)
    if (re.test(host)) {
      if (neg) return false
      hit = true
    }
  }
  return hit
}

/** Split a config line into keyword and value (`Key value`, `Key=value`, quoted values). */
function splitLine(line: string): [string, string] | undefined {
  const m = /^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*?)\s*$/.exec(line)
  if (!m) return undefined
  let v = m[2]!
  if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1)
  return [m[1]!.toLowerCase(), v]
}

function includeFiles(spec: string, baseDir: string, home: string): string[] {
  const out: string[] = []
  for (const part of spec.split(/\s+/).filter(Boolean)) {
    const p = expandTilde(part, home)
    const full = isAbsolute(p) ? p : join(baseDir, p)
    if (!/[*?]/.test(full)) {
      if (existsSync(full)) out.push(full)
      continue
    }
    const dir = dirname(full)
    const re = globToRe(full.slice(dir.length + 1))
    for (const f of existsSync(dir) ? readdirSync(dir).sort() : []) {
      const at = join(dir, f)
      if (re.test(f) && statSync(at).isFile()) out.push(at)
    }
  }
  return out
}

/** The blocks of a config file (and what it includes), in order. */
export function parseSshConfig(text: string, o: { home?: string; baseDir?: string; depth?: number } = {}): Block[] {
  const home = o.home ?? (process.env.HOME || homedir())
  const baseDir = o.baseDir ?? join(home, '.ssh')
  const blocks: Block[] = [{ patterns: ['*'], opts: [] }]
  let skipping = false
  for (const line of text.split('\n')) {
    const t = line.trim()
    if (!t || t.startsWith('#')) continue
    const kv = splitLine(t)
    if (!kv) continue
    const [key, value] = kv
    if (key === 'host') {
      blocks.push({ patterns: value.split(/\s+/).filter(Boolean), opts: [] })
      skipping = false
    } else if (key === 'match') {
      skipping = true
    } else if (key === 'include') {
      if ((o.depth ?? 0) > 8) continue
      for (const f of includeFiles(value, baseDir, home)) {
        const inner = parseSshConfig(readFileSync(f, 'utf8'), { home, baseDir, depth: (o.depth ?? 0) + 1 })
        // An included file's options before its first Host apply within the current block.
        const cur = blocks[blocks.length - 1]!
        cur.opts.push(...inner[0]!.opts)
        blocks.push(...inner.slice(1))
        if (inner.length > 1) blocks.push({ patterns: cur.patterns, opts: [] })
      }
    } else if (!skipping) {
      blocks[blocks.length - 1]!.opts.push([key, value])
    }
  }
  return blocks
}

function tokens(s: string, host: string, port: number, user: string | undefined): string {
  return s.replace(/%([%hpr])/g, (_, c: string) => (c === '%' ? '%' : c === 'h' ? host : c === 'p' ? String(port) : (user ?? '')))
}

/** What ~/.ssh/config says about `alias` (empty when the file or the alias is not there). */
export function resolveSshConfig(alias: string, o: { file?: string; home?: string; text?: string } = {}): SshConfigHost {
  const home = o.home ?? (process.env.HOME || homedir())
  const file = o.file ?? join(home, '.ssh', 'config')
  const text = o.text ?? (existsSync(file) ? readFileSync(file, 'utf8') : '')
  const first = new Map<string, string>()
  const identityFiles: string[] = []
  for (const b of parseSshConfig(text, { home, baseDir: dirname(file) })) {
    if (!matches(b.patterns, alias)) continue
    for (const [k, v] of b.opts) {
      if (k === 'identityfile') identityFiles.push(v)
      else if (!first.has(k)) first.set(k, v)
    }
  }
  const hostName = first.get('hostname') ? tokens(first.get('hostname')!, alias, 22, undefined) : undefined
  const port = first.has('port') ? Number(first.get('port')) : undefined
  const user = first.get('user')
  const host = hostName ?? alias
  const p = port ?? 22
  const out: SshConfigHost = {
    identityFiles: identityFiles.map((f) => expandTilde(tokens(f, host, p, user), home)),
  }
  if (hostName) out.hostName = hostName
  if (user) out.user = user
  if (port && Number.isInteger(port)) out.port = port
  if (first.has('identitiesonly')) out.identitiesOnly = first.get('identitiesonly')!.toLowerCase() === 'yes'
  const jump = first.get('proxyjump')
  if (jump !== undefined) out.proxyJump = jump.toLowerCase() === 'none' ? [] : jump.split(',').map((s) => s.trim()).filter(Boolean)
  const cmd = first.get('proxycommand')
  if (cmd !== undefined && cmd.toLowerCase() !== 'none') out.proxyCommand = cmd
  return out
}
