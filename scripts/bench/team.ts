// Team server figures (issues 5 and 18): the status request (POST /status, then /api/get until
// final, as in core.ts) at 64 concurrent against the compiled binary:
//   (a) a deployed server (--deploy, SKYPILOT_INITIAL_ADMIN) on SQLite, with HTTP Basic auth and
//       with a Bearer service-account token: target >= 1,500 ops/s and p99 <= 50 ms each;
//   (b) the same deployed server with PostgreSQL as its store: target >= 1,000 ops/s.
// Prints figures and compares them with the targets; it never fails a build.
// Usage: bun scripts/bench/team.ts [SECONDS per run, default 8] [sqlite|postgres|all]
// (build first: bun scripts/build.ts)
import { rmSync } from 'node:fs'
import { startPostgres, type PgServer } from '../../test/harness/postgres'
import { BIN, freePort, load, percentile, report, rssMb, statusOp, tempDir } from './lib'

const SECONDS = Math.min(30, Math.max(2, Number(process.argv[2] ?? 8)))
const ONLY = process.argv[3] ?? 'all'
const CONC = 64
/** Each run stops at SECONDS or after this many operations, whichever comes first. */
const MAX_OPS = 100_000
const ADMIN = 'admin:pw'
const rows: [string, string, string, boolean][] = []

interface Server {
  proc: Bun.Subprocess
  endpoint: string
  home: string
}

// Servers this bench started die with it, whatever happens.
const spawned = new Set<Bun.Subprocess>()
process.on('exit', () => {
  for (const p of spawned) if (p.exitCode === null) p.kill('SIGKILL')
})

async function startServer(extraEnv: Record<string, string>): Promise<Server> {
  const home = tempDir()
  const port = await freePort()
  const endpoint = `http://127.0.0.1:${port}`
  const env = { PATH: process.env.PATH!, HOME: home, SKY_HOME: home, NO_COLOR: '1', SKYPILOT_INITIAL_ADMIN: ADMIN, ...extraEnv }
  const proc = Bun.spawn([BIN, 'api', 'start', '--deploy', '--foreground', '--host', '127.0.0.1', '--port', String(port)], {
    env,
    stdout: 'ignore',
    stderr: 'inherit',
  })
  spawned.add(proc)
  const deadline = Date.now() + 30_000
  for (;;) {
    if (await fetch(`${endpoint}/api/health`).then((r) => r.ok, () => false)) break
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start (exit ${proc.exitCode})`)
    await Bun.sleep(20)
  }
  return { proc, endpoint, home }
}

async function stopServer(s: Server): Promise<void> {
  s.proc.kill('SIGTERM')
  const t = setTimeout(() => s.proc.kill('SIGKILL'), 10_000)
  await s.proc.exited
  clearTimeout(t)
  rmSync(s.home, { recursive: true, force: true })
}

const basic = (cred: string) => 'Basic ' + Buffer.from(cred).toString('base64')

async function createToken(endpoint: string): Promise<string> {
  const r = await fetch(`${endpoint}/users/service-account-tokens`, {
    method: 'POST',
    headers: { authorization: basic(ADMIN), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench-bot', token_name: 'bench' }),
  })
  if (!r.ok) throw new Error(`token create: HTTP ${r.status} ${await r.text()}`)
  return ((await r.json()) as { token: string }).token
}

async function measure(label: string, s: Server, authorization: string, target: number, p99Target?: number): Promise<void> {
  const op = statusOp(s.endpoint, authorization)
  await load(2, CONC, op, MAX_OPS) // warm-up: worker threads, JIT, caches, connections
  const res = await load(SECONDS, CONC, op, MAX_OPS)
  rows.push([`${label}: status ops/s (${CONC} conc, ${SECONDS} s)`, `${Math.round(res.ops)} ops/s`, `>= ${target.toLocaleString('en')} ops/s`, res.ops >= target && res.errors === 0])
  const p99 = percentile(res.lat, 99)
  rows.push([`${label}: p50 / p99`, `${percentile(res.lat, 50).toFixed(1)} / ${p99.toFixed(1)} ms`, p99Target ? `p99 <= ${p99Target} ms` : '-', !p99Target || p99 <= p99Target])
  if (res.errors) rows.push([`${label}: errors`, String(res.errors), '0', false])
}

// (a) deployed server on SQLite
if (ONLY !== 'postgres') {
  const s = await startServer({})
  const token = await createToken(s.endpoint)
  await measure('deploy/SQLite Basic', s, basic(ADMIN), 1500, 50)
  await measure('deploy/SQLite Bearer', s, `Bearer ${token}`, 1500, 50)
  rows.push(['deploy/SQLite server RSS after load', `${rssMb(s.proc.pid).toFixed(1)} MB`, '-', true])
  await stopServer(s)
}

// (b) the same with PostgreSQL as the store
let pg: PgServer | undefined
if (ONLY !== 'sqlite') {
  try {
    pg = await startPostgres()
  } catch (e) {
    rows.push(['deploy/PostgreSQL', `not run: ${(e as Error).message.slice(0, 60)}`, '>= 1,000 ops/s', false])
  }
}
if (pg) {
  try {
    const url = await pg.database()
    const s = await startServer({ SKYPILOT_DB_CONNECTION_URI: url, SKYPILOT_API_SERVER_REPLICA_ID: 'bench' })
    const token = await createToken(s.endpoint)
    await measure('deploy/PostgreSQL Basic', s, basic(ADMIN), 1000)
    await measure('deploy/PostgreSQL Bearer', s, `Bearer ${token}`, 1000)
    rows.push(['deploy/PostgreSQL server RSS after load', `${rssMb(s.proc.pid).toFixed(1)} MB`, '-', true])
    await stopServer(s)
  } finally {
    await pg.stop()
  }
}

report(rows)
