// A real PostgreSQL for tests: initdb into a temporary directory, `postgres` on a free 127.0.0.1
// port with a private socket directory and trust auth, one fresh database per `database()` call,
// and a teardown that stops the server and removes the directory. PostgreSQL refuses to run as
// root, so as root the server runs as the `postgres` system user (setpriv, no extra process).
import { SQL } from 'bun'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './index'

export interface PgServer {
  port: number
  /** Superuser URL of the `postgres` database. */
  adminUrl: string
  /** A new empty database; returns its URL. */
  database(name?: string): Promise<string>
  stop(): Promise<void>
}

/** Directory holding initdb/postgres: PG_BINDIR, then the newest /usr/lib/postgresql/N/bin, then PATH. */
export function postgresBinDir(): string | undefined {
  if (process.env.PG_BINDIR && existsSync(join(process.env.PG_BINDIR, 'postgres'))) return process.env.PG_BINDIR
  const base = '/usr/lib/postgresql'
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => /^\d+$/.test(v) && existsSync(join(base, v, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a))
    if (versions[0]) return join(base, versions[0], 'bin')
  }
  const which = Bun.which('postgres')
  return which ? join(which, '..') : undefined
}

export function postgresAvailable(): boolean {
  return postgresBinDir() !== undefined
}

function runAs(): { prefix: string[]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { prefix: [] }
  const line = Bun.spawnSync(['getent', 'passwd', 'postgres']).stdout.toString().trim()
  const parts = line.split(':')
  if (parts.length < 4) throw new Error('PostgreSQL cannot run as root and there is no `postgres` user to run it as.')
  const uid = Number(parts[2])
  const gid = Number(parts[3])
  return { prefix: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'], uid, gid }
}

const live = new Set<Bun.Subprocess>()
let exitHook = false

export async function startPostgres(): Promise<PgServer> {
  const bin = postgresBinDir()
  if (!bin) throw new Error('PostgreSQL server binaries not found (install the `postgresql` package: scripts/ci-deps.sh).')
  const as = runAs()
  const dir = mkdtempSync(join(tmpdir(), 'sky-pg-'))
  const data = join(dir, 'data')
  if (as.uid !== undefined) chownSync(dir, as.uid, as.gid!)
  const init = Bun.spawnSync([...as.prefix, join(bin, 'initdb'), '-D', data, '-A', 'trust', '-U', 'sky', '-E', 'UTF8', '--no-locale', '--no-sync'], {
    stdout: 'pipe',
    stderr: 'pipe',
    cwd: dir,
  })
  if (init.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`initdb failed: ${init.stderr.toString()}`)
  }
  const port = await freePort()
  const proc = Bun.spawn(
    [
      ...as.prefix,
      join(bin, 'postgres'),
      '-D', data,
      '-k', dir,
      '-p', String(port),
      '-h', '127.0.0.1',
      '-F',
      '-c', 'max_connections=300',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'log_min_messages=fatal',
    ],
    { stdout: 'ignore', stderr: 'pipe', cwd: dir },
  )
  live.add(proc)
  if (!exitHook) {
    exitHook = true
    process.on('exit', () => {
      for (const p of live) p.kill('SIGKILL')
    })
  }
  const adminUrl = `postgres://sky@127.0.0.1:${port}/postgres`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (proc.exitCode !== null) {
      const err = await new Response(proc.stderr).text()
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`postgres exited during start-up: ${err.slice(-2000)}`)
    }
    try {
      const q = new SQL({ url: adminUrl, max: 1, connectionTimeout: 2 })
      await q.unsafe('SELECT 1')
      await q.close()
      break
    } catch {
      if (Date.now() > deadline) {
        proc.kill('SIGKILL')
        throw new Error('postgres did not accept connections within 30 s')
      }
      await Bun.sleep(50)
    }
  }
  let n = 0
  return {
    port,
    adminUrl,
    async database(name?: string) {
      const db = name ?? `sky_test_${process.pid}_${++n}_${Math.random().toString(36).slice(2, 8)}`
      const q = new SQL({ url: adminUrl, max: 1 })
      try {
        await q.unsafe(`CREATE DATABASE "${db}"`)
      } finally {
        await q.close()
      }
      return `postgres://sky@127.0.0.1:${port}/${db}`
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGINT')
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000)
        await proc.exited
        clearTimeout(t)
      }
      live.delete(proc)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
