// A deployed server that may run jobs on this machine (local.allow_on_deploy), as one temporary
// sandbox account made for the test (local.run_as), with node directories in a temporary
// directory. Needs root (like the execution-boundary tests).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeUser, type OsUser } from './os-user'

export interface LocalSandbox {
  user: OsUser
  dir: string
  /** The server config lines (a `local:` block). */
  config: string
  cleanup(): Promise<void>
}

export async function localSandbox(): Promise<LocalSandbox> {
  const user = await makeUser()
  const dir = mkdtempSync(join(tmpdir(), 'sky-sandbox-'))
  return {
    user,
    dir,
    config: `local:\n  allow_on_deploy: true\n  run_as: ${user.name}\n  sandbox_dir: ${dir}\n`,
    async cleanup() {
      await user.cleanup()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
