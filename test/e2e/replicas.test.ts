// Two API server replicas from the compiled binary on one real PostgreSQL: requests submitted to
// one are streamed, fetched and cancelled from the other, a batch submitted to both runs each
// request exactly once, and when a replica is SIGKILLed mid-request the other takes over after
// the lease: the idempotent request is re-run and succeeds, the other fails naming the replica.
// A server on PostgreSQL must authenticate, so the replicas run with --deploy and a shared
// secrets key, and every call logs in as the first admin.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { ensureBinary, tempHome, waitFor, type TempHome } from '../harness'
import { startPostgres, type PgServer } from '../harness/postgres'

const LEASE_MS = 1500
const AUTH = { authorization: 'Basic ' + Buffer.from('admin:adminpw').toString('base64') }
const fetch = (url: string, init: RequestInit = {}) => globalThis.fetch(url, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string>) } })
async function submitPlugin(url: string, name: string, body: unknown): Promise<string> {
  const r = await fetch(`${url}/api/plugins/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (r.status !== 200) throw new Error(`submit ${name}: HTTP ${r.status} ${await r.text()}`)
  return r.headers.get('x-skypilot-request-id')!
}

interface Replica {
  id: string
  home: TempHome
  proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>
  url: string
  stderr: string
}

let pg: PgServer
let db: SQL
let dbUrl: string
let A: Replica
let B: Replica

async function startReplica(id: string): Promise<Replica> {
  const home = await tempHome({ plugins: true, config: `api_server:\n  lease_seconds: ${LEASE_MS / 1000}\n` })
  const proc = home.spawn(['api', 'start', '--deploy', '--foreground', '--host', '127.0.0.1', '--port', String(home.port)], {
    env: {
      SKYPILOT_DB_CONNECTION_URI: dbUrl,
      SKYPILOT_API_SERVER_REPLICA_ID: id,
      SKYPILOT_INITIAL_ADMIN: 'admin:adminpw',
      SKYPILOT_SECRETS_KEY: '11'.repeat(32),
    },
  })
  home.env.SKYPILOT_API_SERVER_ENDPOINT = `http://admin:adminpw@127.0.0.1:${home.port}`
  const r: Replica = { id, home, proc, url: home.endpoint, stderr: '' }
  // Keep the pipe drained (and the text, for failure messages).
  void (async () => {
    const reader = proc.stderr.getReader()
    const dec = new TextDecoder()
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      r.stderr += dec.decode(value, { stream: true })
    }
  })()
  await waitFor(() => fetch(`${r.url}/api/health`).then((x) => x.ok, () => false), 20_000).catch(() => {
    throw new Error(`replica ${id} did not start: ${r.stderr}`)
  })
  return r
}

interface Row {
  request_id: string
  status: string
  replica_id: string | null
  attempts: number
}
const rowOf = async (id: string) => ((await db.unsafe(`SELECT request_id, status, replica_id, attempts FROM requests WHERE request_id = $1`, [id])) as Row[])[0]!

/** /api/get on a replica: waits until the request is final (or the server's wait ends). */
async function getFinal(r: Replica, id: string): Promise<{ status: string; return_value?: unknown; error?: { message: string } }> {
  for (;;) {
    const res = await fetch(`${r.url}/api/get?request_id=${id}&timeout=20`)
    const body = await res.json()
    if (res.status === 200) return body
    if (res.status !== 202) throw new Error(`/api/get ${id}: HTTP ${res.status} ${JSON.stringify(body)}`)
  }
}

const logOf = (r: Replica, id: string, follow = false) => fetch(`${r.url}/api/stream?request_id=${id}&follow=${follow}`).then((x) => x.text())

/** Submit to `r` while the other replicas are frozen, so `r` claims the requests; returns once it runs all of them. */
async function runOn(r: Replica, others: Replica[], subs: [string, Record<string, unknown>][]): Promise<string[]> {
  for (const o of others) o.proc.kill('SIGSTOP')
  try {
    const ids: string[] = []
    for (const [name, body] of subs) ids.push(await submitPlugin(r.url, name, body))
    await waitFor(async () => {
      const rows = await Promise.all(ids.map(rowOf))
      return rows.every((x) => x.status === 'RUNNING' && x.replica_id === r.id)
    }, { what: `${r.id} to run ${ids.length} request(s)` })
    return ids
  } finally {
    for (const o of others) o.proc.kill('SIGCONT')
  }
}
const runOnA = (subs: [string, Record<string, unknown>][]) => runOn(A, [B], subs)

beforeAll(async () => {
  await ensureBinary()
  pg = await startPostgres()
  dbUrl = await pg.database()
  A = await startReplica('replica-a')
  B = await startReplica('replica-b')
  db = new SQL({ url: dbUrl, max: 2 })
}, 60_000)

afterAll(async () => {
  for (const r of [A, B]) {
    if (!r) continue
    r.proc.kill('SIGCONT')
    r.proc.kill('SIGKILL')
    await r.proc.exited
    await r.home.cleanup()
  }
  await db?.close()
  await pg?.stop()
}, 30_000)

describe('two replicas on one PostgreSQL', () => {
  test('submitted to A: streamed, fetched and listed from B', async () => {
    const [id] = await runOnA([['test.sleep', { seconds: 1, lines: 4 }]])
    // Follow the log from B while A is still writing it.
    const streamed = await logOf(B, id!, true)
    expect(streamed).toBe('step 1/4\nstep 2/4\nstep 3/4\nstep 4/4\ndone\n')
    const got = await getFinal(B, id!.slice(0, 8))
    expect(got.status).toBe('SUCCEEDED')
    expect(got.return_value).toEqual({ slept: 1 })
    expect(await rowOf(id!)).toMatchObject({ status: 'SUCCEEDED', replica_id: 'replica-a', attempts: 1 })
    // The CLI pointed at B replays the log and lists the request by prefix.
    const logs = await B.home.sky(['api', 'logs', id!.slice(0, 6), '--no-follow'])
    expect(logs.stderr).toBe('')
    expect(logs.stdout).toBe(streamed)
    // The request belongs to the admin who submitted it; B's CLI lists it too.
    const st = await B.home.sky(['api', 'status', '-a', '-u', id!.slice(0, 8)])
    expect(st.code).toBe(0)
    expect(st.stdout).toContain(id!)
    expect(st.stdout).toContain('SUCCEEDED')
  }, 30_000)

  test('cancelled on B while running on A: A stops it', async () => {
    const [id] = await runOnA([['test.sleep', { seconds: 20, lines: 40 }]])
    await waitFor(async () => (await logOf(B, id!)).includes('step 1/40'))
    const res = await fetch(`${B.url}/api/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ request_ids: [id] }) })
    expect((await res.json()).cancelled).toEqual([id])
    expect((await getFinal(A, id!)).status).toBe('CANCELLED')
    // A's handler saw the abort and stopped writing well before the 20 s run would end.
    const log = await waitFor(async () => {
      const text = await logOf(A, id!)
      return text.includes('stopped: cancelled at step') && text
    }, { what: "A's handler to stop on the cancel" })
    expect(log).toContain('Request cancelled.')
    expect(log).not.toContain('done')
    expect(log).not.toContain('step 40/40')
  }, 30_000)

  test('a batch submitted to both replicas runs every request exactly once', async () => {
    const subs: [Replica, string, Record<string, unknown>][] = []
    for (let i = 0; i < 40; i++) subs.push([i % 2 ? A : B, 'test.echo', { i }])
    for (let i = 0; i < 8; i++) subs.push([i % 2 ? B : A, 'test.sleep', { seconds: 0.4, lines: 2, i }])
    const ids = await Promise.all(subs.map(([r, name, body]) => submitPlugin(r.url, name, body)))
    // Each result is read from the replica it was not submitted to.
    const results = await Promise.all(ids.map((id, k) => getFinal(subs[k]![0] === A ? B : A, id)))
    for (const [k, res] of results.entries()) {
      expect(res.status).toBe('SUCCEEDED')
      if (subs[k]![1] === 'test.echo') expect(res.return_value).toEqual(subs[k]![2])
    }
    const rows = await Promise.all(ids.map(rowOf))
    expect(rows.every((r) => r.attempts === 1)).toBe(true)
    // Each ran on one of the two replicas, which recorded itself.
    for (const r of rows) expect(['replica-a', 'replica-b']).toContain(r.replica_id!)
    for (const [k, id] of ids.entries()) {
      if (subs[k]![1] !== 'test.sleep') continue
      const log = await logOf(A, id)
      expect(log).toBe('step 1/2\nstep 2/2\ndone\n')
    }
  }, 30_000)

  test('SIGKILL a replica mid-request: another re-runs the idempotent request and fails the other, naming it', async () => {
    // A third replica, so A and B stay up for the other tests whatever their order.
    const C = await startReplica('replica-c')
    try {
      const [idem, plain] = await runOn(C, [A, B], [
        ['test.sleep_idempotent', { seconds: 3, lines: 6 }],
        ['test.sleep', { seconds: 30, lines: 30 }],
      ])
      await waitFor(async () => (await logOf(B, idem!)).includes('step 1/6') && (await logOf(B, plain!)).includes('step 1/30'))
      // B follows the idempotent request's log across the takeover.
      const following = logOf(B, idem!, true)
      C.proc.kill('SIGKILL')
      await C.proc.exited

      // Taken over once the lease ran out (how long that takes: scripts/bench/replicas.ts).
      const failed = await getFinal(B, plain!)
      expect(failed.status).toBe('FAILED')
      expect(failed.error?.message).toContain('replica-c')
      expect(failed.error?.message).toContain('not safe to repeat')
      expect(await logOf(B, plain!)).toContain('(replica-c) stopped; marked FAILED')

      const rerun = await getFinal(B, idem!)
      expect(rerun.status).toBe('SUCCEEDED')
      expect(rerun.return_value).toEqual({ slept: 3 })
      const row = await rowOf(idem!)
      expect(row).toMatchObject({ status: 'SUCCEEDED', attempts: 2 })
      expect(['replica-a', 'replica-b']).toContain(row.replica_id!)
      const log = await following
      expect(log).toContain('(replica-c) stopped; re-running it.')
      expect(log.split('\n').filter((l) => l === 'done')).toEqual(['done'])
      expect(log.endsWith('step 6/6\ndone\n')).toBe(true)
      // Neither request is left open.
      expect((await Promise.all([idem!, plain!].map(rowOf))).map((r) => r.status).sort()).toEqual(['FAILED', 'SUCCEEDED'])
    } finally {
      C.proc.kill('SIGKILL')
      await C.home.cleanup()
    }
  }, 60_000)
})
