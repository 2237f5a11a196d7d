// A cross-process lock file: created exclusively, holding the owner's pid, so a lock left by a
// dead process is taken over. Used to make concurrent first commands start exactly one server.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { pidAlive } from './proc'

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, 'wx')
    writeSync(fd, String(process.pid))
    closeSync(fd)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    return false
  }
}

/** Wait (up to timeoutMs) for the lock; returns a release function, or null on timeout. */
export async function acquireLock(path: string, timeoutMs: number): Promise<(() => void) | null> {
  mkdirSync(dirname(path), { recursive: true })
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (tryCreate(path)) return () => rmSync(path, { force: true })
    let owner = 0
    try {
      owner = Number(readFileSync(path, 'utf8'))
    } catch {}
    if (owner && !pidAlive(owner)) {
      rmSync(path, { force: true })
      continue
    }
    if (Date.now() > deadline) return null
    await Bun.sleep(25)
  }
}
