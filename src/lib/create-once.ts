// Write a private file only if nothing is there yet, atomically: two processes making the same
// key at once agree on one (the second link fails and its copy is dropped).
import { linkSync, rmSync, writeFileSync } from 'node:fs'

export function createOnce(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  writeFileSync(tmp, text, { mode: 0o600 })
  try {
    linkSync(tmp, path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
  } finally {
    rmSync(tmp, { force: true })
  }
}
