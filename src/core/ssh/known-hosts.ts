// Host keys of SSH nodes, in OpenSSH's known_hosts format ($SKY_HOME/known_hosts by default):
// recorded the first time a host is reached (trust on first use) and verified on every later
// connection, so passwords and keys are never sent to a host that changed its identity. A host
// with recorded keys must present one of them (the negotiation is limited to their types).
import { createHash } from 'node:crypto'
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { privateDir } from '../home-perms'

/** `host` for port 22, `[host]:port` otherwise (OpenSSH's spelling). */
export function hostPattern(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`
}

/** The key type inside an SSH wire-format public key blob (e.g. ssh-ed25519). */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown'
  const n = blob.readUInt32BE(0)
  return blob.subarray(4, 4 + n).toString('latin1')
}

export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

export interface KnownKey {
  type: string
  blob: Buffer
  line: number
}

/** The keys recorded for `pattern` (hashed entries and markers are skipped). */
export function knownKeys(file: string, pattern: string): KnownKey[] {
  if (!existsSync(file)) return []
  const out: KnownKey[] = []
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const t = line.trim()
      if (!t || t.startsWith('#') || t.startsWith('@') || t.startsWith('|')) return
      const [hosts, type, b64] = t.split(/\s+/)
      if (!hosts || !type || !b64) return
      if (!hosts.split(',').includes(pattern)) return
      out.push({ type, blob: Buffer.from(b64, 'base64'), line: i + 1 })
    })
  return out
}

export class HostKeyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'HostKeyError'
  }
}

export interface HostKeyCheck {
  /** The host key algorithms to offer (only the recorded ones, once there are any). */
  algorithms: string[] | undefined
  /** ssh2's hostVerifier: records an unknown host (when allowed), accepts a match, refuses the rest. */
  verify(blob: Buffer): boolean
  /** Why the last verify() refused, for the error shown. */
  refusal(): string | undefined
}

/**
 * Verification of `host:port` against `file`. With `tofu`, a host with no recorded key has the
 * one it presents recorded; without, it is refused (a node reached only by a verified path).
 */
export function hostKeyCheck(file: string, host: string, port = 22, o: { tofu?: boolean } = {}): HostKeyCheck {
  const pattern = hostPattern(host, port)
  const known = knownKeys(file, pattern)
  let why: string | undefined
  return {
    algorithms: known.length ? [...new Set(known.map((k) => k.type))] : undefined,
    verify(blob) {
      if (known.some((k) => k.blob.equals(blob))) return true
      if (known.length) {
        const was = known.map((k) => `${k.type} ${fingerprint(k.blob)} (line ${k.line})`).join(', ')
        why =
          `the host key of ${pattern} has changed: it now presents ${keyType(blob)} ${fingerprint(blob)}, but ${file} records ${was}. ` +
          `If the host was reinstalled, remove the old entry (ssh-keygen -R '${pattern}' -f ${file}) and retry; otherwise someone may be intercepting the connection.`
        return false
      }
      if (!o.tofu) {
        why = `the host key of ${pattern} (${keyType(blob)} ${fingerprint(blob)}) is not in ${file}, and this connection does not record new hosts.`
        return false
      }
      privateDir(dirname(file))
      appendFileSync(file, `${pattern} ${keyType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 })
      known.push({ type: keyType(blob), blob, line: 0 })
      return true
    },
    refusal: () => why,
  }
}

/** known_hosts lines for `patterns` (to give a head node the keys of its workers). */
export function knownHostsLines(file: string, patterns: string[]): string {
  return patterns.flatMap((p) => knownKeys(file, p).map((k) => `${p} ${k.type} ${k.blob.toString('base64')}`)).join('\n') + '\n'
}
