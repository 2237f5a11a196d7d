// Temporary Unix users for tests of the execution boundary (the tests run as root). Each user is
// named skyt<random> and removed by cleanup(); commands run as it through setpriv, with only the
// environment given.
import { chownSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface OsUser {
  name: string
  uid: number
  gid: number
  /** A private temporary directory the user owns (use as HOME / SKY_HOME). */
  home: string
  /** Run argv as this user; resolves with exit code and output. */
  run(argv: string[], env?: Record<string, string>, o?: { cwd?: string; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>
  cleanup(): Promise<void>
}

export function canMakeUsers(): boolean {
  return process.getuid?.() === 0 && Bun.which('useradd') !== null && Bun.which('setpriv') !== null
}

export async function makeUser(prefix = 'skyt'): Promise<OsUser> {
  const name = `${prefix}${Math.random().toString(16).slice(2, 10)}`
  const add = Bun.spawnSync(['useradd', '--system', '--no-create-home', '--shell', '/bin/sh', name], { stderr: 'pipe' })
  if (add.exitCode !== 0) throw new Error(`useradd ${name}: ${add.stderr.toString()}`)
  const id = (flag: string) => Number(Bun.spawnSync(['id', flag, name]).stdout.toString().trim())
  const uid = id('-u')
  const gid = id('-g')
  const home = mkdtempSync(join(tmpdir(), `${name}-`))
  chownSync(home, uid, gid)
  return {
    name,
    uid,
    gid,
    home,
    async run(argv, env = {}, o = {}) {
      const p = Bun.spawn(['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', ...argv], {
        env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home, USER: name, ...env },
        cwd: o.cwd ?? home,
        stdout: 'pipe',
        stderr: 'pipe',
      })
      const timer = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 60_000)
      const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
      clearTimeout(timer)
      return { code, stdout, stderr }
    },
    async cleanup() {
      // Processes the user left behind go first (userdel refuses while they run).
      Bun.spawnSync(['pkill', '-KILL', '-u', String(uid)])
      Bun.spawnSync(['userdel', name], { stderr: 'pipe' })
      rmSync(home, { recursive: true, force: true })
    },
  }
}
