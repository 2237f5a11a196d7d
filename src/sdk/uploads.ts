// The client packs a task's workdir and local file mounts and uploads them to the API server
// (endpoints: src/api/ops/uploads.ts): every file is hashed (sha256), the server is asked which
// contents and manifests it lacks, only those are sent (in chunks, resuming a part that was cut
// off), and the request names the manifests. `.skyignore`/`.gitignore` apply as for any sync, and
// SKY_HOME is never packed (its database is not the task's to copy). A local server reads the
// client's files itself, so nothing is uploaded to one.
import { realpathSync, statSync } from 'node:fs'
import { isInside, isSkyOwnPath, realOrSelf } from '../core/uploads/sky-home'
import { open } from 'node:fs/promises'
import { ValidationError, InternalError } from '../core/errors'
import { paths } from '../core/paths'
import { listSyncEntries } from '../core/runner/ignore'
import { canonicalManifest, sha256Hex, type Manifest, type ManifestEntry } from '../core/uploads/manifest'
import type { FileMount } from '../core/task/types'
import { uploadBlob, uploadManifest, uploadMissing } from '../api/ops/uploads'
import type { SkyClient } from './client'

/** What a request names for its uploaded files (the `uploads` field of /launch and /exec). */
export interface UploadRefs {
  workdir?: string
  file_mounts?: Record<string, string>
}

export interface UploadStats {
  files: number
  bytes: number
  /** File contents actually sent (not already on the server). */
  sentFiles: number
  sentBytes: number
}

const CHUNK = 8 << 20
const PARALLEL = 4

export interface Packed {
  manifest: Manifest
  json: string
  hash: string
  /** Content hash → a local file with that content, and its size. */
  blobs: Map<string, { abs: string; size: number }>
}


async function hashFile(abs: string, size: number): Promise<string> {
  if (size <= 4 << 20) return sha256Hex(new Uint8Array(await Bun.file(abs).arrayBuffer()))
  const h = new Bun.CryptoHasher('sha256')
  const fh = await open(abs, 'r')
  try {
    const buf = new Uint8Array(4 << 20)
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.byteLength, null)
      if (!bytesRead) break
      h.update(buf.subarray(0, bytesRead))
    }
  } finally {
    await fh.close()
  }
  return h.digest('hex')
}

async function mapLimit<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!)
    }),
  )
}

/** Pack a local directory or file: its manifest and where each content lives. */
export async function packPath(src: string, what: string): Promise<Packed> {
  let real: string
  try {
    real = realpathSync(src)
  } catch {
    throw new ValidationError([{ path: what, message: `local path '${src}' does not exist` }])
  }
  const home = realOrSelf(paths.home())
  if (isSkyOwnPath(real, home)) {
    throw new ValidationError([{ path: what, message: `'${src}' is inside SKY_HOME (${paths.home()}), whose own files are never synced: they hold sky's state` }])
  }
  const st = statSync(real)
  const blobs = new Map<string, { abs: string; size: number }>()
  let manifest: Manifest
  if (!st.isDirectory()) {
    const h = await hashFile(real, st.size)
    blobs.set(h, { abs: real, size: st.size })
    manifest = { v: 1, root: 'file', entries: [{ p: '', t: 'f', m: st.mode & 0o7777, s: st.size, h }] }
  } else {
    const list = await listSyncEntries(real, { skipPaths: isInside(home, real) ? [home] : [] })
    const entries: ManifestEntry[] = []
    await mapLimit(list, 8, async (e) => {
      if (e.kind === 'dir') entries.push({ p: e.rel, t: 'd', m: e.mode })
      else if (e.kind === 'symlink') entries.push({ p: e.rel, t: 'l', m: e.mode, l: e.linkTarget })
      else {
        const h = await hashFile(e.abs, e.size)
        blobs.set(h, { abs: e.abs, size: e.size })
        entries.push({ p: e.rel, t: 'f', m: e.mode, s: e.size, h })
      }
    })
    manifest = { v: 1, root: 'dir', entries }
  }
  const json = canonicalManifest(manifest)
  return { manifest, json, hash: sha256Hex(json), blobs }
}

/** Send blob `hash` from `read(offset, length)`, starting at `from`, in chunks. */
async function sendBlob(c: SkyClient, hash: string, size: number, from: number, read: (off: number, len: number) => Promise<Uint8Array>): Promise<void> {
  let offset = from
  for (let tries = 0; ; ) {
    try {
      do {
        const len = Math.min(CHUNK, size - offset)
        const bytes = await read(offset, len)
        const r = await uploadBlob({ hash, size, offset, bytes }, { client: c })
        if (r.done) return
        offset = r.offset
      } while (offset < size)
      return
    } catch (e) {
      // Another upload of the same content moved the part on: continue from where it is.
      const at = (e as { code?: string; details?: { offset?: number } }).details?.offset
      if ((e as { code?: string }).code === 'CONFLICT' && typeof at === 'number' && ++tries < 5) {
        offset = at
        continue
      }
      throw e
    }
  }
}

async function readRange(abs: string, off: number, len: number): Promise<Uint8Array> {
  const fh = await open(abs, 'r')
  try {
    const buf = new Uint8Array(len)
    let got = 0
    while (got < len) {
      const { bytesRead } = await fh.read(buf, got, len - got, off + got)
      if (bytesRead === 0) throw new InternalError(`${abs} changed while it was being uploaded; run the command again.`)
      got += bytesRead
    }
    return buf
  } finally {
    await fh.close()
  }
}

/** Upload packed sources (what the server lacks of them) and register their manifests. */
export async function uploadPacked(c: SkyClient, packs: Packed[]): Promise<UploadStats> {
  const stats: UploadStats = { files: 0, bytes: 0, sentFiles: 0, sentBytes: 0 }
  const blobs = new Map<string, { abs: string; size: number }>()
  for (const p of packs) for (const [h, b] of p.blobs) blobs.set(h, b)
  for (const p of packs) for (const e of p.manifest.entries) if (e.t === 'f') ((stats.files += 1), (stats.bytes += e.s ?? 0))
  const manifests = [...new Map(packs.map((p) => [p.hash, p])).values()]
  const missingManifests = new Set<string>()
  const all = [...blobs.entries()]
  const todo: { h: string; abs: string; size: number; from: number }[] = []
  for (let i = 0; i < Math.max(all.length, 1); i += 20_000) {
    const part = all.slice(i, i + 20_000)
    const r = await uploadMissing({ blobs: part.map(([h, b]) => ({ h, s: b.size })), manifests: i === 0 ? manifests.map((m) => m.hash) : [] }, { client: c })
    for (const m of r.manifests) missingManifests.add(m)
    for (const h of r.blobs) {
      const b = blobs.get(h)!
      todo.push({ h, ...b, from: r.offsets[h] ?? 0 })
    }
  }
  await mapLimit(todo, PARALLEL, async (t) => {
    await sendBlob(c, t.h, t.size, t.from, (off, len) => readRange(t.abs, off, len))
    stats.sentFiles++
    stats.sentBytes += t.size - t.from
  })
  for (const m of manifests) {
    if (!missingManifests.has(m.hash)) continue
    const bytes = new TextEncoder().encode(m.json)
    await sendBlob(c, m.hash, bytes.byteLength, 0, async (off, len) => bytes.subarray(off, off + len))
    await uploadManifest({ manifest: m.hash }, { client: c })
  }
  return stats
}

/**
 * Upload a task's workdir and local file-mount sources when the server needs them (any server
 * but a local one); returns what the request should name, or undefined for a local server.
 */
export async function uploadTaskFiles(
  c: SkyClient,
  task: { workdir?: unknown; fileMounts: Record<string, FileMount> },
  o: { fileMounts?: boolean } = {},
): Promise<{ refs: UploadRefs; stats: UploadStats } | undefined> {
  const h = await c.health()
  if (h.auth_mode === 'local-token') return undefined
  const refs: UploadRefs = {}
  const packs: Packed[] = []
  if (typeof task.workdir === 'string') {
    const p = await packPath(task.workdir, 'workdir')
    refs.workdir = p.hash
    packs.push(p)
  }
  if (o.fileMounts !== false) {
    for (const [dst, m] of Object.entries(task.fileMounts)) {
      if (m.kind !== 'local') continue
      const p = await packPath(m.source, `file_mounts.${dst}`)
      ;(refs.file_mounts ??= {})[dst] = p.hash
      packs.push(p)
    }
  }
  if (!packs.length) return { refs, stats: { files: 0, bytes: 0, sentFiles: 0, sentBytes: 0 } }
  return { refs, stats: await uploadPacked(c, packs) }
}
