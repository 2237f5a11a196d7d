// The local agent host: one process runs the daemons of many clusters. Each cluster keeps its own
// jobs; stopping one cluster's agent leaves the others running; a killed host is replaced by the
// next agent call, which adopts the running jobs.
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { job, makeCluster, waitUntil, type TestCluster } from './harness'

const hostDir = mkdtempSync(join(tmpdir(), 'sky-agent-host-'))
const clusters: TestCluster[] = []
const hostPid = () => Number(readFileSync(join(hostDir, 'host.lock'), 'utf8'))

afterAll(async () => {
  for (const c of clusters) await c.cleanup()
  try {
    process.kill(hostPid(), 'SIGTERM')
  } catch {}
  rmSync(hostDir, { recursive: true, force: true })
})

async function cluster(name: string): Promise<TestCluster> {
  const c = await makeCluster({ name, agentHost: hostDir, capacity: { cpus: 2, memoryGb: 4, gpus: null } })
  clusters.push(c)
  const r = await c.agent(['init'], c.spec)
  expect(r.code).toBe(0)
  return c
}

describe('local agent host', () => {
  test('one process serves several clusters, each with its own jobs', async () => {
    const [a, b, c] = [await cluster('ha'), await cluster('hb'), await cluster('hc')]
    const pids = await Promise.all([a, b, c].map(async (x) => (await x.agent(['health'])).json.daemon))
    expect(pids.every((d) => d.alive && d.pid === hostPid() && d.host === hostDir)).toBe(true)
    const ids = await Promise.all([a, b, c].map((x, i) => x.submit(job(`echo job-${i}`))))
    for (const [i, x] of [a, b, c].entries()) {
      expect((await x.waitStatus(ids[i]!, ['SUCCEEDED'])).status).toBe('SUCCEEDED')
      expect(x.log(ids[i]!)).toContain(`job-${i}`)
    }
  }, 60_000)

  test("stopping one cluster's agent leaves the others running", async () => {
    const [a, b] = clusters
    const long = await b!.submit(job('sleep 1; echo still-here'))
    expect((await a!.agent(['stop-all'])).json.daemonStopped).toBe(true)
    expect((await a!.agent(['health'])).json.ok).toBe(false)
    expect((await b!.waitStatus(long, ['SUCCEEDED'])).status).toBe('SUCCEEDED')
    expect((await b!.agent(['health'])).json.daemon.pid).toBe(hostPid())
    // init brings the stopped one back into the same host.
    expect((await a!.agent(['init'], a!.spec)).code).toBe(0)
    expect((await a!.agent(['health'])).json.daemon).toMatchObject({ alive: true, pid: hostPid() })
  }, 60_000)

  test('a killed host is replaced on the next call and adopts the running job', async () => {
    const [a] = clusters
    const id = await a!.submit(job('sleep 1.5; echo adopted'))
    await a!.waitStatus(id, ['RUNNING'])
    const old = hostPid()
    process.kill(old, 'SIGKILL')
    await waitUntil(() => {
      try {
        process.kill(old, 0)
        return false
      } catch {
        return true
      }
    })
    expect((await a!.agent(['health'])).json.ok).toBe(false)
    expect((await a!.agent(['init'])).code).toBe(0)
    expect(hostPid()).not.toBe(old)
    expect((await a!.waitStatus(id, ['SUCCEEDED'], 20_000)).status).toBe('SUCCEEDED')
    expect(a!.log(id)).toContain('adopted')
  }, 60_000)
})
