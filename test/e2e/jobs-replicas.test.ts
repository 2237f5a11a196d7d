// Two API server replicas (the compiled binary) on one real PostgreSQL run managed jobs: each job
// is owned by one replica through a lease; when the owner is SIGKILLed, the other takes its jobs
// over once the lease expires and finishes them (no output twice, no cluster left behind).
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, ROOT, SKY_BIN, tempHome, waitFor, type TempHome } from '../harness'
import { count } from '../harness/jobs'
import { localSandbox, type LocalSandbox } from '../harness/sandbox'
import { startPostgres, type PgServer } from '../harness/postgres'

const LEASE_MS = 1500
let pg: PgServer
let dbUrl: string
let db: SQL
let h: TempHome
let portB: number
let sandbox: LocalSandbox
const procs: Bun.Subprocess[] = []

function replica(id: string, port: number): Bun.Subprocess {
  // Both replicas share this machine's SKY_HOME (and so its config: local jobs run as a sandbox
  // account). A server on PostgreSQL must authenticate: --deploy, with one admin.
  const p = Bun.spawn([SKY_BIN, 'api', 'start', '--deploy', '--foreground', '--host', '127.0.0.1', '--port', String(port)], {
    env: {
      ...h.env,
      SKYPILOT_DB_CONNECTION_URI: dbUrl,
      SKYPILOT_API_SERVER_REPLICA_ID: id,
      SKYPILOT_INITIAL_ADMIN: 'admin:adminpw',
      SKYPILOT_SECRETS_KEY: '11'.repeat(32),
    },
    stdout: 'ignore',
    stderr: 'ignore',
  })
  procs.push(p)
  return p
}

const endpoint = (port: number) => `http://127.0.0.1:${port}`
const sky = (port: number, args: string[]) => h.sky(args, { env: { SKYPILOT_API_SERVER_ENDPOINT: `http://admin:adminpw@127.0.0.1:${port}` } })

beforeAll(async () => {
  if (!existsSync(SKY_BIN)) Bun.spawnSync([process.execPath, 'scripts/build.ts'], { cwd: ROOT })
  pg = await startPostgres()
  dbUrl = await pg.database()
  db = new SQL({ url: dbUrl, max: 2 })
  h = await tempHome()
  sandbox = await localSandbox()
  // A short lease, so a replica takes over a dead one's jobs within seconds.
  h.config(`${sandbox.config}\napi_server:\n  lease_seconds: ${LEASE_MS / 1000}\n`)
  portB = await freePort()
}, 60_000)

afterAll(async () => {
  for (const p of procs) {
    p.kill('SIGCONT')
    p.kill('SIGKILL')
    await p.exited
  }
  await h?.cleanup()
  await sandbox?.cleanup()
  await db?.close()
  await pg?.stop()
}, 60_000)

const healthy = (port: number) => waitFor(() => fetch(`${endpoint(port)}/api/health`).then((r) => r.ok, () => false), 20_000)

interface Lease {
  key: string
  owner: string
}
const jobLeases = async () => (await db.unsafe(`SELECT key, owner FROM controller_leases WHERE kind = 'jobs' ORDER BY key`)) as Lease[]
const statuses = async () => (await db.unsafe(`SELECT job_id, status FROM managed_jobs ORDER BY job_id`)) as { job_id: number; status: string }[]

test('a killed replica\'s jobs are taken over and finished by the other', async () => {
  const A = replica('replica-a', h.port)
  const B = replica('replica-b', portB)
  await healthy(h.port)
  await healthy(portB)
  // Where the jobs (run as the sandbox account) can see it.
  const goDir = mkdtempSync(join(tmpdir(), 'sky-jobs-go-'))
  chmodSync(goDir, 0o755)
  const go = join(goDir, 'go')
  // B is frozen while the jobs start, so replica A owns all of them.
  B.kill('SIGSTOP')
  for (let i = 1; i <= 4; i++) {
    const r = await sky(h.port, ['jobs', 'launch', '-y', '-d', '-n', `ha-${i}`, `echo begin-${i}; while [ ! -f ${go} ]; do sleep 0.2; done; echo end-${i}`])
    expect(r.code).toBe(0)
  }
  await waitFor(async () => {
    const s = await statuses()
    return s.length === 4 && s.every((j) => j.status === 'RUNNING')
  }, 60_000, 200)
  expect((await jobLeases()).filter((l) => l.key !== 'scheduler').map((l) => l.owner)).toEqual(['replica-a', 'replica-a', 'replica-a', 'replica-a'])
  B.kill('SIGCONT')

  A.kill('SIGKILL')
  await A.exited
  writeFileSync(go, '')
  // After the lease expires B owns the jobs and sees them through.
  await waitFor(async () => (await statuses()).every((j) => j.status === 'SUCCEEDED'), 60_000, 200).catch(async (e) => {
    // Say what was stuck: statuses, leases, and the first unfinished job's controller log.
    console.error(JSON.stringify(await statuses()), JSON.stringify(await jobLeases()))
    const left = (await statuses()).find((j) => j.status !== 'SUCCEEDED')
    if (left) console.error((await sky(portB, ['jobs', 'logs', '--controller', '--no-follow', String(left.job_id)])).stdout)
    throw e
  })
  const q = JSON.parse((await sky(portB, ['jobs', 'queue', '-u', '-o', 'json'])).stdout) as { job_id: number; status: string; recovery_count: number }[]
  expect(q.map((j) => [j.job_id, j.status, j.recovery_count])).toEqual([
    [4, 'SUCCEEDED', 0],
    [3, 'SUCCEEDED', 0],
    [2, 'SUCCEEDED', 0],
    [1, 'SUCCEEDED', 0],
  ])
  for (let i = 1; i <= 4; i++) {
    const logs = await sky(portB, ['jobs', 'logs', String(i), '--no-follow'])
    expect([i, count(logs.stdout, `begin-${i}\n`), count(logs.stdout, `end-${i}\n`)]).toEqual([i, 1, 1])
    const ctl = await sky(portB, ['jobs', 'logs', '--controller', String(i), '--no-follow'])
    expect(ctl.stdout).toContain('Tearing down cluster')
  }
  // The scheduler moved to B too: a new job runs there.
  const late = await sky(portB, ['jobs', 'launch', '-y', '-n', 'after', 'echo after-failover'])
  expect(late.code).toBe(0)
  expect(late.stdout).toContain('after-failover')
  expect((await jobLeases()).every((l) => l.owner === 'replica-b')).toBe(true)
  expect((await sky(portB, ['status', '-u'])).stdout).toContain('No existing clusters.')
  expect(readdirSync(sandbox.dir).filter((d) => !d.startsWith('.'))).toEqual([])
  rmSync(goDir, { recursive: true, force: true })
}, 180_000)
