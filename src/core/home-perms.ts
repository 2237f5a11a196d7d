// SKY_HOME holds the state database, request logs, keys and the local server's secret: it is
// 0700 and what the server writes there is 0600, so no other Unix user on the machine can read
// it. Secret files are created with O_EXCL and their mode set before any byte is written.
import { randomBytes } from 'node:crypto'
import { chmodSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { InternalError } from './errors'

/** Make `dir` (and its parents) exist; `dir` itself ends up 0700 whatever its mode was. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  try {
    if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700)
  } catch {}
}

/** chmod 0600 each file that exists (ignores the rest). */
export function privateFiles(files: string[]): void {
  for (const f of files) {
    try {
      if (existsSync(f) && (statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600)
    } catch {}
  }
}

/** Write `text` to `file` atomically with mode 0600 (a temp file renamed over it). */
export function writePrivateFile(file: string, text: string | Uint8Array): void {
  privateDir(dirname(file))
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const fd = openSync(tmp, 'wx', 0o600)
  try {
    writeSync(fd, typeof text === 'string' ? Buffer.from(text) : text)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, file)
}

/**
 * The secret in `file`, created (random, `bytes` long, hex) when missing. Refuses a file another
 * user owns, and narrows a readable one to 0600.
 */
export function ensureSecretFile(file: string, bytes = 32): string {
  privateDir(dirname(file))
  if (!existsSync(file)) {
    try {
      const fd = openSync(file, 'wx', 0o600)
      try {
        writeSync(fd, randomBytes(bytes).toString('hex'))
      } finally {
        closeSync(fd)
      }
    } catch (e) {
      // Another process made it first: read theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
  }
  const fd = openSync(file, 'r')
  try {
    const st = fstatSync(fd)
    const uid = process.getuid?.()
    if (uid !== undefined && st.uid !== uid) throw new InternalError(`${file} belongs to another user (uid ${st.uid}); refusing to use it.`)
    if ((st.mode & 0o077) !== 0) chmodSync(file, 0o600)
  } finally {
    closeSync(fd)
  }
  const value = readFileSync(file, 'utf8').trim()
  if (value.length < 32) throw new InternalError(`${file} is too short to be a secret; delete it and start again.`)
  return value
}
