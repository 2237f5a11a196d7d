// What a client uploads for a workdir or a local file mount: a manifest (every directory, file
// and symlink with its mode, and for files the size and sha256 of the content) plus the content
// as blobs named by their sha256. The manifest is itself stored as a blob; its hash names the
// upload, so an unchanged directory has the same name and nothing is sent twice.
import { createHash } from 'node:crypto'
import { ValidationError, type FieldIssue } from '../errors'

export interface ManifestEntry {
  /** Path under the root, `/`-separated; '' is the root itself (a single-file upload). */
  p: string
  /** f: file, d: directory, l: symlink. */
  t: 'f' | 'd' | 'l'
  /** Permission bits. */
  m: number
  /** File size. */
  s?: number
  /** File content sha256 (hex). */
  h?: string
  /** Symlink target. */
  l?: string
}

export interface Manifest {
  v: 1
  /** dir: entries under a directory; file: one entry ('') that is the file. */
  root: 'dir' | 'file'
  entries: ManifestEntry[]
}

export const HASH_RE = /^[0-9a-f]{64}$/

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/** The manifest's canonical JSON (entries sorted by path): equal trees give equal bytes. */
export function canonicalManifest(m: Manifest): string {
  const entries = [...m.entries].sort((a, b) => (a.p < b.p ? -1 : a.p > b.p ? 1 : 0))
  return JSON.stringify({ v: 1, root: m.root, entries: entries.map((e) => ({ p: e.p, t: e.t, m: e.m, ...(e.t === 'f' ? { s: e.s, h: e.h } : {}), ...(e.t === 'l' ? { l: e.l } : {}) })) })
}

export interface ManifestLimits {
  maxEntries: number
  maxTotalBytes: number
}

const SEGMENT_BAD = /[\0]/

/**
 * Parse and check a manifest: paths are relative, have no `.`/`..`/empty segments and no NUL,
 * are unique, and every entry's parent is a directory of the manifest (never a symlink); sizes
 * and hashes are well formed; totals are within limits. Throws ValidationError.
 */
export function parseManifest(text: string, limits: ManifestLimits): Manifest {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new ValidationError([{ path: 'manifest', message: 'is not valid JSON' }])
  }
  const m = raw as Manifest
  if (!m || typeof m !== 'object' || m.v !== 1 || (m.root !== 'dir' && m.root !== 'file') || !Array.isArray(m.entries)) {
    throw new ValidationError([{ path: 'manifest', message: 'must be {v: 1, root: "dir"|"file", entries: [...]}' }])
  }
  if (m.entries.length > limits.maxEntries) throw new ValidationError([{ path: 'manifest.entries', message: `has more than ${limits.maxEntries} entries` }])
  const issues: FieldIssue[] = []
  const kinds = new Map<string, ManifestEntry['t']>()
  let total = 0
  for (const [i, e] of m.entries.entries()) {
    const at = `manifest.entries[${i}]`
    if (!e || typeof e !== 'object' || typeof e.p !== 'string' || !['f', 'd', 'l'].includes(e.t) || !Number.isInteger(e.m) || e.m < 0 || e.m > 0o7777) {
      issues.push({ path: at, message: 'must be {p, t: f|d|l, m}' })
      continue
    }
    if (m.root === 'file') {
      if (m.entries.length !== 1 || e.p !== '' || e.t !== 'f') issues.push({ path: at, message: 'a file upload has exactly one file entry with an empty path' })
    } else if (e.p === '' || e.p.startsWith('/') || SEGMENT_BAD.test(e.p) || e.p.split('/').some((s) => s === '' || s === '.' || s === '..') || e.p.length > 4096) {
      issues.push({ path: `${at}.p`, message: 'must be a relative path without empty, . or .. segments' })
      continue
    }
    if (kinds.has(e.p)) issues.push({ path: `${at}.p`, message: `'${e.p}' is listed twice` })
    kinds.set(e.p, e.t)
    if (e.t === 'f') {
      if (!Number.isSafeInteger(e.s) || (e.s as number) < 0 || typeof e.h !== 'string' || !HASH_RE.test(e.h)) issues.push({ path: at, message: 'a file needs its size (s) and sha256 (h)' })
      else total += e.s as number
    }
    if (e.t === 'l' && (typeof e.l !== 'string' || !e.l || e.l.length > 4096 || SEGMENT_BAD.test(e.l))) issues.push({ path: `${at}.l`, message: 'a symlink needs its target' })
    if (issues.length > 20) break
  }
  if (m.root === 'dir') {
    for (const [p] of kinds) {
      const parent = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : ''
      if (parent && kinds.get(parent) !== 'd') issues.push({ path: 'manifest.entries', message: `'${p}' is under '${parent}', which is not a directory of the upload` })
      if (issues.length > 20) break
    }
  }
  if (total > limits.maxTotalBytes) issues.push({ path: 'manifest', message: `holds ${total} bytes, more than the ${limits.maxTotalBytes} an upload may (api_server.upload_max_mb)` })
  if (issues.length) throw new ValidationError(issues)
  return m
}
