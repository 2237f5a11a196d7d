// The server's store of uploaded files, per user, under $SKY_HOME/api_server/uploads/<user>/:
// blobs named by their sha256 (one copy per content, whatever the path or the upload), partial
// blobs being uploaded (resumable: a chunk is accepted only at the current end of its part),
// registered manifests, and trees materialized from manifests for syncing to nodes. Uploads are
// limited per upload (api_server.upload_max_mb) and per user (api_server.upload_quota_mb);
// anything not used for api_server.upload_retention_hours is collected.
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { appendFile, chmod, copyFile, mkdir, readdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { configGet } from '../config'
import { ConflictError, NotFoundError, ValidationError } from '../errors'
import { privateDir } from '../home-perms'
import { paths } from '../paths'
import { HASH_RE, parseManifest, type Manifest } from './manifest'

export interface UploadLimits {
  /** Bytes one upload (a workdir or a file mount) may hold. */
  maxUploadBytes: number
  /** Bytes a user may keep on the server. */
  quotaBytes: number
  maxEntries: number
  retentionMs: number
}

export function uploadLimits(): UploadLimits {
  const mb = (k: string, d: number) => Math.max(1, Number(configGet(k, d))) * (1 << 20)
  return {
    maxUploadBytes: mb('api_server.upload_max_mb', 2048),
    quotaBytes: mb('api_server.upload_quota_mb', 10240),
    maxEntries: 200_000,
    retentionMs: Math.max(1, Number(configGet('api_server.upload_retention_hours', 72))) * 3600_000,
  }
}

function quotaError(used: number, size: number, quota: number): ValidationError {
  const e = new ValidationError([{ path: 'size', message: `storing ${size} more bytes would pass your upload quota (${used} of ${quota} bytes used)` }], {
    hint: 'Unchanged files are not stored twice; old uploads are removed after api_server.upload_retention_hours. Ask an admin to raise api_server.upload_quota_mb.',
  })
  e.httpStatus = 413
  return e
}

export class UploadStore {
  private locks = new Map<string, Promise<unknown>>()
  private usage = new Map<string, number>()

  constructor(
    readonly root = paths.uploadsDir(),
    readonly limits: UploadLimits = uploadLimits(),
  ) {}

  /** A user's directory; ids are reduced to safe file-name characters. */
  userDir(userId: string): string {
    const safe = /^[A-Za-z0-9_-]{1,64}$/.test(userId) ? userId : createHash('sha256').update(userId).digest('hex').slice(0, 32)
    return join(this.root, safe)
  }

  blobPath(userId: string, hash: string): string {
    return join(this.userDir(userId), 'blobs', hash.slice(0, 2), hash)
  }

  private partPath(userId: string, hash: string): string {
    return join(this.userDir(userId), 'partial', hash)
  }

  private manifestMark(userId: string, hash: string): string {
    return join(this.userDir(userId), 'manifests', hash)
  }

  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve()
    const next = prev.catch(() => {}).then(fn)
    this.locks.set(key, next)
    try {
      return await next
    } finally {
      if (this.locks.get(key) === next) this.locks.delete(key)
    }
  }

  /** Bytes of blobs (and parts) the user keeps here. */
  async used(userId: string): Promise<number> {
    const hit = this.usage.get(userId)
    if (hit !== undefined) return hit
    let n = 0
    for (const sub of ['blobs', 'partial']) {
      const dir = join(this.userDir(userId), sub)
      const walk = async (d: string): Promise<void> => {
        for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
          if (e.isDirectory()) await walk(join(d, e.name))
          else n += (await stat(join(d, e.name)).catch(() => ({ size: 0 }))).size
        }
      }
      await walk(dir)
    }
    this.usage.set(userId, n)
    return n
  }

  private addUsage(userId: string, delta: number): void {
    const cur = this.usage.get(userId)
    if (cur !== undefined) this.usage.set(userId, Math.max(0, cur + delta))
  }

  /**
   * Which of these blobs and manifests the server lacks, and how far each partly uploaded blob
   * got. Blobs it has are kept alive (their retention starts again).
   */
  async missing(userId: string, blobs: { h: string; s: number }[], manifests: string[]): Promise<{ blobs: string[]; manifests: string[]; offsets: Record<string, number> }> {
    const out = { blobs: [] as string[], manifests: [] as string[], offsets: {} as Record<string, number> }
    const now = new Date()
    for (const b of blobs) {
      if (!HASH_RE.test(b.h)) throw new ValidationError([{ path: 'blobs', message: `'${String(b.h).slice(0, 70)}' is not a sha256` }])
      const p = this.blobPath(userId, b.h)
      if (existsSync(p)) {
        await utimes(p, now, now).catch(() => {})
        continue
      }
      out.blobs.push(b.h)
      const part = await stat(this.partPath(userId, b.h)).catch(() => null)
      if (part && part.size > 0) out.offsets[b.h] = part.size
    }
    for (const h of manifests) {
      if (!HASH_RE.test(h)) throw new ValidationError([{ path: 'manifests', message: `'${String(h).slice(0, 70)}' is not a sha256` }])
      const mark = this.manifestMark(userId, h)
      if (existsSync(mark)) await utimes(mark, now, now).catch(() => {})
      else out.manifests.push(h)
    }
    return out
  }

  /**
   * Append a chunk of blob `hash` (total `size` bytes) at `offset`, which must be the end of what
   * arrived so far (else ConflictError with the current offset, so the client resumes there).
   * The last chunk completes the blob once its content matches the hash.
   */
  async putChunk(userId: string, hash: string, size: number, offset: number, bytes: Uint8Array): Promise<{ offset: number; done: boolean }> {
    if (!HASH_RE.test(hash)) throw new ValidationError([{ path: 'hash', message: 'must be a sha256 (64 hex digits)' }])
    if (!Number.isSafeInteger(size) || size < 0 || size > this.limits.maxUploadBytes) {
      throw new ValidationError([{ path: 'size', message: `must be a byte count up to ${this.limits.maxUploadBytes} (api_server.upload_max_mb)` }])
    }
    return this.locked(`${userId}/${hash}`, async () => {
      const blob = this.blobPath(userId, hash)
      if (existsSync(blob)) return { offset: size, done: true }
      const part = this.partPath(userId, hash)
      const have = (await stat(part).catch(() => null))?.size ?? 0
      if (offset !== have) {
        throw new ConflictError(`Blob ${hash.slice(0, 12)} continues at byte ${have}, not ${offset}.`, { details: { offset: have } })
      }
      if (offset + bytes.byteLength > size) throw new ValidationError([{ path: 'body', message: `chunk passes the blob's declared size (${size} bytes)` }])
      if (offset === 0) {
        const used = await this.used(userId)
        if (used + size > this.limits.quotaBytes) throw quotaError(used, size, this.limits.quotaBytes)
      }
      privateDir(join(this.userDir(userId), 'partial'))
      if (bytes.byteLength) await appendFile(part, bytes, { mode: 0o600 })
      else if (offset === 0) await writeFile(part, new Uint8Array(0), { mode: 0o600 })
      this.addUsage(userId, bytes.byteLength)
      const end = offset + bytes.byteLength
      if (end < size) return { offset: end, done: false }
      const got = await fileSha256(part)
      if (got !== hash) {
        await rm(part, { force: true })
        this.addUsage(userId, -end)
        throw new ValidationError([{ path: 'body', message: `the uploaded content's sha256 is ${got.slice(0, 12)}..., not ${hash.slice(0, 12)}...; upload it again` }])
      }
      await mkdir(join(blob, '..'), { recursive: true, mode: 0o700 })
      await rename(part, blob)
      return { offset: end, done: true }
    })
  }

  /** Check a manifest blob and everything it names; afterwards it may be used by requests. */
  async registerManifest(userId: string, hash: string): Promise<{ files: number; bytes: number }> {
    if (!HASH_RE.test(hash)) throw new ValidationError([{ path: 'manifest', message: 'must be a sha256 (64 hex digits)' }])
    const m = await this.readManifest(userId, hash, false)
    let files = 0
    let bytes = 0
    for (const e of m.entries) {
      if (e.t !== 'f') continue
      const st = await stat(this.blobPath(userId, e.h!)).catch(() => null)
      if (!st) throw new ValidationError([{ path: 'manifest', message: `names content ${e.h!.slice(0, 12)}... (${e.p || 'the file'}) that was not uploaded` }])
      if (st.size !== e.s) throw new ValidationError([{ path: 'manifest', message: `says ${e.p || 'the file'} has ${e.s} bytes; its content has ${st.size}` }])
      files++
      bytes += st.size
    }
    privateDir(join(this.userDir(userId), 'manifests'))
    await writeFile(this.manifestMark(userId, hash), '', { mode: 0o600 })
    return { files, bytes }
  }

  private async readManifest(userId: string, hash: string, mustBeRegistered: boolean): Promise<Manifest> {
    if (!HASH_RE.test(hash)) throw new ValidationError([{ path: 'uploads', message: `'${hash.slice(0, 70)}' is not an upload id` }])
    if (mustBeRegistered && !existsSync(this.manifestMark(userId, hash))) {
      throw new NotFoundError(`Upload ${hash.slice(0, 12)} is not on this API server (or belongs to another user).`, { hint: 'Run the command again: sky uploads the files first.' })
    }
    const p = this.blobPath(userId, hash)
    if (!existsSync(p)) throw new NotFoundError(`Upload manifest ${hash.slice(0, 12)} was not uploaded.`)
    const st = await stat(p)
    if (st.size > 64 << 20) throw new ValidationError([{ path: 'manifest', message: 'is larger than 64 MB' }])
    return parseManifest(await readFile(p, 'utf8'), { maxEntries: this.limits.maxEntries, maxTotalBytes: this.limits.maxUploadBytes })
  }

  /** Throw unless `hash` is a manifest this user registered. */
  async checkRegistered(userId: string, hash: string): Promise<void> {
    await this.readManifest(userId, hash, true)
  }

  /**
   * The files of an upload as a local directory (or file) to sync from, built once per manifest:
   * written to a temporary name and renamed into place, so a half-built tree is never used.
   */
  async materialize(userId: string, hash: string): Promise<{ path: string; root: 'dir' | 'file' }> {
    const m = await this.readManifest(userId, hash, true)
    const trees = join(this.userDir(userId), 'trees')
    privateDir(trees)
    const final = join(trees, m.root === 'file' ? `${hash}.file` : hash)
    const now = new Date()
    if (existsSync(final)) {
      await utimes(final, now, now).catch(() => {})
      return { path: final, root: m.root }
    }
    const tmp = join(trees, `.tmp-${randomBytes(6).toString('hex')}`)
    try {
      if (m.root === 'file') {
        const e = m.entries[0]!
        await copyFile(this.blobPath(userId, e.h!), tmp)
        await chmod(tmp, e.m)
      } else {
        await mkdir(tmp, { mode: 0o700 })
        const sorted = [...m.entries].sort((a, b) => (a.p < b.p ? -1 : a.p > b.p ? 1 : 0))
        for (const e of sorted) {
          const at = join(tmp, e.p)
          if (e.t === 'd') await mkdir(at, { mode: 0o700 })
          else if (e.t === 'l') await symlink(e.l!, at)
          else {
            const blob = this.blobPath(userId, e.h!)
            await copyFile(blob, at)
            await chmod(at, e.m)
            await utimes(blob, now, now).catch(() => {})
          }
        }
        for (const e of sorted.filter((x) => x.t === 'd').reverse()) await chmod(join(tmp, e.p), e.m | 0o700)
      }
      await rename(tmp, final).catch(async (err) => {
        if (!existsSync(final)) throw err
      })
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
    return { path: final, root: m.root }
  }

  /** Remove what no one used for the retention period (and parts idle for a day). */
  async collect(now = Date.now()): Promise<number> {
    let removed = 0
    for (const user of await readdir(this.root).catch(() => [] as string[])) {
      const base = join(this.root, user)
      const old = async (p: string, ms: number) => now - ((await stat(p).catch(() => null))?.mtimeMs ?? now) > ms
      for (const shard of await readdir(join(base, 'blobs')).catch(() => [] as string[])) {
        for (const h of await readdir(join(base, 'blobs', shard)).catch(() => [] as string[])) {
          const p = join(base, 'blobs', shard, h)
          if (await old(p, this.limits.retentionMs)) {
            await rm(p, { force: true })
            removed++
          }
        }
      }
      for (const [sub, ms] of [['partial', 86_400_000], ['manifests', this.limits.retentionMs], ['trees', this.limits.retentionMs]] as const) {
        for (const name of await readdir(join(base, sub)).catch(() => [] as string[])) {
          const p = join(base, sub, name)
          if (await old(p, ms)) {
            await rm(p, { recursive: true, force: true })
            removed++
          }
        }
      }
    }
    this.usage.clear()
    return removed
  }
}

/** sha256 of a file, streamed. */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer)
  return h.digest('hex')
}
