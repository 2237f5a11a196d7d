// File transfer over one SFTP session: upload a file or a whole directory (parallel, honouring the
// sync ignore rules, preserving permission bits and symlinks, creating parents), download a file.
// Remote paths may start with `~`; relative paths are relative to the login directory.
import { chmod, mkdir, stat } from 'node:fs/promises'
import { basename, dirname, posix } from 'node:path'
import type { SFTPWrapper, Stats } from 'ssh2'
import { listSyncEntries } from './ignore'

const NO_SUCH_FILE = 2

type SftpError = Error & { code?: number | string }

function call<T>(fn: (cb: (err: SftpError | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))))
}

export class Sftp {
  private home: string | null = null

  constructor(readonly sftp: SFTPWrapper) {}

  /** Absolute remote path for `p` (`~` and relative paths are under the login directory). */
  async resolve(p: string): Promise<string> {
    if (p.startsWith('/')) return posix.normalize(p)
    this.home ??= await call<string>((cb) => this.sftp.realpath('.', cb))
    const rest = p === '~' ? '' : p.startsWith('~/') ? p.slice(2) : p
    return posix.join(this.home, rest)
  }

  stat(p: string): Promise<Stats | null> {
    return call<Stats>((cb) => this.sftp.stat(p, cb)).catch((err: SftpError) => {
      if (err.code === NO_SUCH_FILE) return null
      throw err
    })
  }

  /** `mkdir -p` for an absolute remote path. */
  async mkdirp(p: string): Promise<void> {
    const st = await this.stat(p)
    if (st) {
      if (!st.isDirectory()) throw new Error(`${p} exists and is not a directory`)
      return
    }
    const parent = posix.dirname(p)
    if (parent !== p) await this.mkdirp(parent)
    await call<void>((cb) => this.sftp.mkdir(p, cb)).catch(async (err: SftpError) => {
      // Another upload may have created it meanwhile.
      if (!(await this.stat(p))?.isDirectory()) throw err
    })
  }

  async putFile(local: string, remote: string, mode: number): Promise<void> {
    await call<void>((cb) => this.sftp.fastPut(local, remote, { concurrency: 32, chunkSize: 32 * 1024, mode }, cb))
    await call<void>((cb) => this.sftp.chmod(remote, mode, cb))
  }

  async putSymlink(target: string, remote: string): Promise<void> {
    await call<void>((cb) => this.sftp.unlink(remote, cb)).catch(() => {})
    await call<void>((cb) => this.sftp.symlink(target, remote, cb))
  }

  /** Copy a local file or directory (its contents, merged) to `remotePath`. */
  async upload(localPath: string, remotePath: string, exclude: string[] | undefined, parallel = 8): Promise<void> {
    const st = await stat(localPath)
    const dest = await this.resolve(remotePath)
    if (!st.isDirectory()) {
      const target = remotePath.endsWith('/') ? posix.join(dest, basename(localPath)) : dest
      await this.mkdirp(posix.dirname(target))
      await this.putFile(localPath, target, st.mode & 0o7777)
      return
    }
    const entries = await listSyncEntries(localPath, { exclude })
    await this.mkdirp(dest)
    const dirs = entries.filter((e) => e.kind === 'dir')
    for (const d of dirs) await this.mkdirp(posix.join(dest, d.rel))
    const files = entries.filter((e) => e.kind !== 'dir')
    let next = 0
    const worker = async () => {
      while (next < files.length) {
        const e = files[next++]!
        const target = posix.join(dest, e.rel)
        if (e.kind === 'symlink') await this.putSymlink(e.linkTarget!, target)
        else await this.putFile(e.abs, target, e.mode)
      }
    }
    await Promise.all(Array.from({ length: Math.min(parallel, files.length) }, worker))
    // Directory modes last (deepest first) so a read-only directory does not block its own files.
    for (const d of [...dirs].reverse()) await call<void>((cb) => this.sftp.chmod(posix.join(dest, d.rel), d.mode, cb))
  }

  async download(remotePath: string, localPath: string): Promise<void> {
    const src = await this.resolve(remotePath)
    const st = await this.stat(src)
    if (!st) throw Object.assign(new Error(`${src}: no such file`), { code: NO_SUCH_FILE })
    if (st.isDirectory()) throw new Error(`${src}: is a directory`)
    await mkdir(dirname(localPath), { recursive: true })
    await call<void>((cb) => this.sftp.fastGet(src, localPath, { concurrency: 32, chunkSize: 32 * 1024 }, cb))
    await chmod(localPath, st.mode & 0o777)
  }

  close(): void {
    this.sftp.end()
  }
}
