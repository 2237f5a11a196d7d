// Cluster core behaviours through the compiled binary on the local infra: --down after the job,
// one cluster for concurrent launches of one name, log requests that end with their client,
// cancelling a request cancels its job, local capacity that is really held and released, down
// that leaves no process, and a supervised agent.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { localNodeDir, requestRow, tempHome, waitFor, type TempHome } from '../harness'

let h: TempHome
const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr
/** Local cluster directories of this home (one per cluster the machine holds a share for). */
const localDirs = (home: TempHome) => (existsSync(join(home.dir, 'local')) ? readdirSync(join(home.dir, 'local')).filter((d) => !d.startsWith('.')) : [])
const pgrep = (pattern: string) => Bun.spawnSync(['pgrep', '-f', pattern]).stdout.toString().trim()

async function activeRequests(home: TempHome, name: string): Promise<{ request_id: string; status: string }[]> {
  const r = await home.fetch(`/api/status?all_users=true`)
  return ((await r.json()) as { request_id: string; name: string; status: string }[]).filter((x) => x.name === name)
}

beforeAll(async () => {
  h = await tempHome()
})
afterAll(async () => {
  await h.sky(['down', '-a', '-y'])
  await h.cleanup()
})

describe('launch', () => {
  test('6 x launch --down: every job SUCCEEDED, every cluster gone afterwards', async () => {
    const runs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => h.sky(['launch', '-y', '-c', `bye${i}`, '--cpus', '0.1', '--down', '--', `echo bye-${i}`], { timeoutMs: 120_000 })),
    )
    runs.forEach((r, i) => {
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`bye-${i}`)
      expect(out(r)).toContain('Job finished (status: SUCCEEDED)')
      expect(out(r)).toContain(`✓ Cluster bye${i} terminated.`)
    })
    expect((await h.sky(['status'])).stdout).not.toContain('bye')
    expect(localDirs(h).filter((d) => d.startsWith('bye'))).toEqual([])
  }, 180_000)

  test('two concurrent launches of one name make one cluster', async () => {
    const [a, b] = await Promise.all([0, 1].map((i) => h.sky(['launch', '-y', '-c', 'same', '--cpus', '0.1', '--', `echo run-${i}`], { timeoutMs: 120_000 })))
    expect(a!.code).toBe(0)
    expect(b!.code).toBe(0)
    expect((out(a!) + out(b!)).match(/✓ Cluster launched: same\./g)).toHaveLength(1)
    expect(a!.stdout).toContain('run-0')
    expect(b!.stdout).toContain('run-1')
    expect(localDirs(h).filter((d) => d.startsWith('same'))).toHaveLength(1)
    const q = (await h.sky(['queue', 'same'])).stdout
    expect(q.match(/SUCCEEDED/g)).toHaveLength(2)
  }, 180_000)

  test('a request that cannot fit the machine is refused before anything is made', async () => {
    const r = await h.sky(['launch', '-y', '-c', 'many', '--num-nodes', '100000', '--', 'true'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('this machine (shared by 100000 nodes)')
    expect((await h.sky(['status', 'many'])).stdout).toContain("Cluster 'many' not found.")
    expect(localDirs(h).filter((d) => d.startsWith('many'))).toEqual([])
  })
})

describe('requests and their jobs', () => {
  test('sky logs interrupted: its request ends, none is left RUNNING', async () => {
    const ex = await h.sky(['exec', 'same', '-d', '--', 'for i in $(seq 1 60); do echo tick $i; sleep 0.5; done'])
    const id = /Job submitted, ID: (\d+)/.exec(out(ex))![1]!
    const p = h.spawn(['logs', 'same', id])
    const reader = p.stdout.getReader()
    let seen = ''
    while (!seen.includes('tick 1')) {
      const { value, done } = await reader.read()
      if (done) break
      seen += new TextDecoder().decode(value)
    }
    p.kill('SIGINT')
    expect(await p.exited).toBe(130)
    await waitFor(async () => (await activeRequests(h, 'sky.logs')).every((r) => !['PENDING', 'RUNNING'].includes(r.status)), 15_000, 100)
    // A client that vanishes without a word (killed): the server ends the request when its stream drops.
    const q = h.spawn(['logs', 'same', id])
    const r2 = q.stdout.getReader()
    for (let got = ''; !got.includes('tick'); ) {
      const { value, done } = await r2.read()
      if (done) break
      got += new TextDecoder().decode(value)
    }
    expect((await activeRequests(h, 'sky.logs')).some((r) => r.status === 'RUNNING')).toBe(true)
    q.kill('SIGKILL')
    await q.exited
    await waitFor(async () => (await activeRequests(h, 'sky.logs')).every((r) => !['PENDING', 'RUNNING'].includes(r.status)), 15_000, 100)
    await h.sky(['cancel', 'same', id])
  }, 60_000)

  test('cancelling an exec request cancels the job it submitted', async () => {
    const r = await h.sky(['exec', 'same', '--async', '--', 'sleep 30'])
    const rid = /Submitted sky.exec: ([0-9a-f-]{36})/.exec(r.stdout)![1]!
    await waitFor(async () => (await h.sky(['queue', 'same'])).stdout.includes('RUNNING'), 20_000, 100)
    expect((await h.sky(['api', 'cancel', rid.slice(0, 8), '-y'])).code).toBe(0)
    await waitFor(async () => (await requestRow(h.endpoint, rid)).status === 'CANCELLED', 15_000, 100)
    await waitFor(async () => /\bCANCELLED\b/.test((await h.sky(['queue', 'same'])).stdout), 15_000, 100)
    expect((await h.sky(['queue', 'same'])).stdout).not.toContain('RUNNING')
  }, 60_000)
})

describe('retry until up', () => {
  test('--retry-until-up waits for capacity, and cancelling the request ends the wait at once', async () => {
    expect((await h.sky(['launch', '-y', '-c', 'hog', '--cpus', '1.5', '--', 'true'])).code).toBe(0)
    const r = await h.sky(['launch', '-y', '--async', '--retry-until-up', '-c', 'waiter', '--cpus', '1', '--', 'true'])
    const rid = /Submitted sky.launch: ([0-9a-f-]{36})/.exec(r.stdout)![1]!
    await waitFor(async () => (await h.sky(['api', 'logs', rid.slice(0, 8), '--no-follow'])).stdout.includes('--retry-until-up'), 20_000, 100)
    expect((await h.sky(['api', 'cancel', rid.slice(0, 8), '-y'])).code).toBe(0)
    // Cancelled during its 30 s backoff: the request is final well before that.
    await waitFor(async () => (await requestRow(h.endpoint, rid)).status === 'CANCELLED', 10_000, 100)
    expect((await h.sky(['status', 'waiter'])).stdout).toContain("Cluster 'waiter' not found.")
    expect((await h.sky(['down', '-y', 'hog'])).code).toBe(0)
  }, 60_000)
})

describe('local capacity and teardown', () => {
  test('stop releases the share, start asks for exactly the same again (and is refused while it is taken)', async () => {
    expect((await h.sky(['down', '-y', 'same'])).code).toBe(0)
    expect((await h.sky(['launch', '-y', '-c', 'big', '--cpus', '1.2', '--', 'true'])).code).toBe(0)
    expect((await h.sky(['stop', '-y', 'big'])).code).toBe(0)
    // The stopped cluster holds nothing: another can take its CPUs.
    expect((await h.sky(['launch', '-y', '-c', 'other', '--cpus', '1.2', '--', 'true'])).code).toBe(0)
    const refused = await h.sky(['start', '-y', 'big'])
    expect(refused.code).toBe(3)
    expect(out(refused)).toContain('1.2 CPUs needed')
    expect((await h.sky(['status', 'big'])).stdout).toMatch(/big\s+Local\s+1x\(cpus=1.2.*STOPPED/)
    expect((await h.sky(['down', '-y', 'other'])).code).toBe(0)
    expect((await h.sky(['start', '-y', 'big'])).code).toBe(0)
    expect((await h.sky(['status', 'big'])).stdout).toMatch(/big\s+Local\s+1x\(cpus=1.2.*UP/)
    expect((await h.sky(['down', '-y', 'big'])).code).toBe(0)
  }, 120_000)

  test('down kills a job that ignores SIGTERM and every child before the record goes', async () => {
    expect((await h.sky(['launch', '-y', '-c', 'stub', '--cpus', '0.1', '-d', '--', "trap '' TERM; (trap '' TERM; sleep 1000.75) & sleep 1000.75; wait"])).code).toBe(0)
    await waitFor(() => pgrep('sleep 1000.75') !== '', 20_000, 100)
    expect((await h.sky(['down', '-y', 'stub'])).code).toBe(0)
    expect(pgrep('sleep 1000.75')).toBe('')
    expect(localDirs(h).filter((d) => d.startsWith('stub'))).toEqual([])
  }, 60_000)
})

describe('status you can trust', () => {
  test('an INIT cluster whose nodes and agent are fine recovers to UP on refresh', async () => {
    expect((await h.sky(['launch', '-y', '-c', 'flaky', '--cpus', '0.1', '--', 'true'])).code).toBe(0)
    // As after health checks that failed for a while (the cluster itself never went away).
    const db = new Database(join(h.dir, 'state.db'))
    db.run(`UPDATE clusters SET status = 'INIT', status_reason = 'agent unreachable: timed out' WHERE name = 'flaky'`)
    db.close()
    expect((await h.sky(['status', 'flaky'])).stdout).toMatch(/flaky\s+Local.*INIT/)
    expect((await h.sky(['status', '--refresh', 'flaky'])).stdout).toMatch(/flaky\s+Local.*UP/)
    // A cluster whose nodes are gone (removed behind sky's back) is dropped by the refresh.
    rmSync(join(localNodeDir(h, 'flaky'), '..'), { recursive: true, force: true })
    expect((await h.sky(['status', '--refresh'])).stdout).not.toContain('flaky')
  }, 60_000)
})

describe('agent supervision', () => {
  test('the agent host killed: refresh restarts it, the running job finishes, autostop still fires', async () => {
    // A test home: its server gives launched clusters a 500 ms autostop minute (`testing:`).
    const h2 = await tempHome({ config: 'testing:\n  agent_minute_ms: 500\n' })
    try {
      const r = await h2.sky(['launch', '-y', '-c', 'sup', '--cpus', '0.1', '-d', '--', 'sleep 2; echo outlived'])
      expect(r.code).toBe(0)
      await waitFor(async () => (await h2.sky(['queue', 'sup'])).stdout.includes('RUNNING'), 20_000, 100)
      const pid = Number(readFileSync(join(h2.dir, 'local', '.agent-host', 'host.lock'), 'utf8'))
      process.kill(pid, 'SIGKILL')
      const st = await h2.sky(['status', '--refresh'])
      expect(st.stdout).toMatch(/sup\s+Local.*UP/)
      await waitFor(async () => (await h2.sky(['logs', 'sup', '1', '--status'])).stdout.includes('SUCCEEDED'), 30_000, 200)
      expect((await h2.sky(['logs', 'sup', '1', '--no-follow'])).stdout).toContain('outlived')
      expect((await h2.sky(['autostop', 'sup', '-i', '1', '-y'])).code).toBe(0)
      await waitFor(async () => (await h2.sky(['status', '--refresh'])).stdout.includes('STOPPED'), 30_000, 300)
    } finally {
      await h2.sky(['down', '-a', '-y'])
      await h2.cleanup()
    }
  }, 120_000)
})
