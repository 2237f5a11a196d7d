// A service on local infra, driven through the compiled binary as a user would: two replicas
// (each in its own network namespace, all on port 8080) behind the load balancer; round robin;
// a replica SIGKILLed under load (no failed request, replaced); logs; a rolling update observed
// by which version answers; one replica removed; down frees the port and leaves nothing behind.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createServer } from 'node:net'
import { tempHome, waitFor, type TempHome } from '../harness'
import { get, killLeftovers, killReplica, networkTagOf, readyCount, serveStatus, serviceYaml, waitService } from '../harness/serve'

let h: TempHome
let endpoint = ''
const SVC = 'echo'

beforeAll(async () => {
  h = await tempHome()
})
afterAll(async () => {
  await h.sky(['serve', 'down', '-a', '-y'], { timeoutMs: 60_000 })
  killLeftovers(h)
  await h.sky(['down', '-a', '-y'])
  await h.cleanup()
})

const labels = async (n: number) => {
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const r = await get(endpoint + '/')
    expect(r.status).toBe(200)
    out.push(r.body)
  }
  return out
}

describe('sky serve on local infra', () => {
  test('up prints the endpoint and the Useful Commands; two replicas become READY', async () => {
    const r = await h.sky(['serve', 'up', '-n', SVC, '-y', serviceYaml(h, 'svc.yaml')])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`Service name: ${SVC}`)
    endpoint = /Endpoint URL: (http:\/\/127\.0\.0\.1:\d+)/.exec(r.stdout)![1]!
    expect(Number(endpoint.split(':')[2])).toBeGreaterThanOrEqual(30001)
    expect(r.stderr).toContain('📋 Useful Commands')
    expect(r.stderr).toContain(`sky serve logs --load-balancer ${SVC}`)
    expect(r.stderr).toContain(`curl ${endpoint}`)
    // Before any replica is ready the endpoint answers 503.
    const early = await get(endpoint + '/')
    expect([200, 503]).toContain(early.status)
    if (early.status === 503) expect(early.body).toContain('No ready replicas.')
    const s = await waitService(h, SVC, (x) => readyCount(x, 2) && x.status === 'READY')
    // Both replicas listen on 8080, each in its own network.
    expect(new Set(s.replica_info.map((x) => x.endpoint)).size).toBe(2)
    expect(s.replica_info.every((x) => x.endpoint!.endsWith(':8080') || /127\.0\.0\.1:\d+$/.test(x.endpoint!))).toBe(true)
    expect((await h.sky(['serve', 'status', SVC, '--endpoint'])).stdout.trim()).toBe(endpoint)
    const table = await h.sky(['serve', 'status', SVC])
    expect(table.stdout).toMatch(/^Services\nNAME\s+VERSION\s+UPTIME\s+STATUS\s+REPLICAS\s+ENDPOINT\n/)
    expect(table.stdout).toMatch(new RegExp(`^${SVC}\\s+1\\s+\\S+\\s+READY\\s+2/2\\s+${endpoint}$`, 'm'))
    expect(table.stdout).toMatch(/Service Replicas\nSERVICE_NAME\s+ID\s+VERSION\s+ENDPOINT\s+LAUNCHED\s+INFRA\s+STATUS\n/)
    expect(table.stdout).toMatch(new RegExp(`^${SVC}\\s+1\\s+1\\s+\\S+\\s+.+\\s+local\\s+READY$`, 'm'))
    // The clusters are ordinary ones, named <service>-<id>.
    const clusters = await h.sky(['status'])
    expect(clusters.stdout).toContain(`${SVC}-1`)
    expect(clusters.stdout).toContain(`${SVC}-2`)
    // ... and after them (and the managed jobs), the Services table with a hint to the full status.
    expect(clusters.stdout).toMatch(/\n\nManaged jobs\nNo in-progress managed jobs.\n\nServices\nNAME\s+VERSION\s+UPTIME\s+STATUS\s+REPLICAS\s+ENDPOINT\n/)
    expect(clusters.stdout).toMatch(new RegExp(`\nServices\n.+\n${SVC}\\s+1\\s+\\S+\\s+READY\\s+2/2\\s+${endpoint}\n$`))
    expect(clusters.stderr).toContain('* To see detailed service status: sky serve status -v')
    const noServices = await h.sky(['status', '--no-show-services'])
    expect(noServices.stdout).not.toContain('Services')
    expect(noServices.stdout).toContain(`${SVC}-1`)
    expect(noServices.stderr).not.toContain('sky serve status')
    const json = JSON.parse((await h.sky(['status', '-o', 'json'])).stdout) as { name: string }[]
    expect(json.map((c) => c.name)).toEqual(expect.arrayContaining([`${SVC}-1`, `${SVC}-2`]))
  }, 90_000)

  test('round robin alternates the replicas; SKYPILOT_SERVE_REPLICA_ID is set', async () => {
    const got = await labels(6)
    expect(new Set(got)).toEqual(new Set(['v1-r1', 'v1-r2']))
    for (let i = 1; i < got.length; i++) expect(got[i]).not.toBe(got[i - 1])
  })

  test('a replica SIGKILLed under load: no request fails, it is replaced', async () => {
    let stop = false
    const failures: string[] = []
    let served = 0
    const load = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const r = await get(endpoint + '/')
        if (r.status !== 200) failures.push(`${r.status} ${r.body}`)
        served++
      }
    })
    await waitFor(() => served > 20, 10_000)
    // Replica 1's server is SIGKILLed from outside (by the PIDs in its network namespace).
    expect(killReplica(h, SVC, 1)).toBeGreaterThan(0)
    const s = await waitService(h, SVC, (x) => x.replica_info.some((r) => r.replica_id === 1 && r.status === 'FAILED') && readyCount(x, 2), 60_000)
    stop = true
    await Promise.all(load)
    expect(failures).toEqual([])
    expect(s.replica_info.find((r) => r.replica_id === 1)!.failure).toContain('exited')
    expect(new Set(await labels(4))).toEqual(new Set(['v1-r2', 'v1-r3']))
    // The failed replica's cluster is gone.
    await waitFor(async () => !(await h.sky(['status'])).stdout.includes(`${SVC}-1 `), 30_000, 200)
  }, 120_000)

  test('logs: a replica, the controller, the load balancer', async () => {
    const rep = await h.sky(['serve', 'logs', SVC, '2', '--no-follow'])
    expect(rep.code).toBe(0)
    expect(rep.stdout).toContain('listening 8080')
    const ctl = await h.sky(['serve', 'logs', SVC, '--controller', '--no-follow'])
    expect(ctl.stdout).toContain('Replica 2: STARTING → READY.')
    expect(ctl.stdout).toContain('Replica 1: READY → FAILED')
    const lb = await h.sky(['serve', 'logs', SVC, '--load-balancer', '--no-follow'])
    expect(lb.stdout).toContain(`service ${SVC}: load balancer on`)
    const bad = await h.sky(['serve', 'logs', SVC, '99', '--no-follow'])
    expect(bad.code).toBe(4)
    expect(bad.stderr).toContain(`Service '${SVC}' has no replica 99.`)
  })

  test('rolling update: version 2 takes over, no request fails on the way', async () => {
    let stop = false
    const seen: string[] = []
    const failures: string[] = []
    const load = (async () => {
      while (!stop) {
        const r = await get(endpoint + '/')
        if (r.status !== 200) failures.push(`${r.status} ${r.body}`)
        else seen.push(r.body)
      }
    })()
    const up = await h.sky(['serve', 'update', SVC, '-y', serviceYaml(h, 'v2.yaml', { label: 'v2' })])
    expect(up.code).toBe(0)
    expect(up.stdout).toContain(`Service '${SVC}' is updating to version 2 (rolling).`)
    await waitService(h, SVC, (x) => readyCount(x, 2, 2) && x.active_versions.join() === '2', 90_000)
    stop = true
    await load
    expect(failures).toEqual([])
    // Version 1 answered, then version 2; at the end only version 2.
    expect(seen.some((b) => b.startsWith('v1-'))).toBe(true)
    expect(seen.some((b) => b.startsWith('v2-'))).toBe(true)
    expect((await labels(4)).every((b) => b.startsWith('v2-'))).toBe(true)
    const s = (await serveStatus(h, [SVC]))[0]!
    expect(s.version).toBe(2)
  }, 120_000)

  test('down --replica-id removes one replica; another takes its place', async () => {
    const before = (await serveStatus(h, [SVC]))[0]!.replica_info.filter((r) => r.status === 'READY').map((r) => r.replica_id)
    const victim = before[0]!
    const r = await h.sky(['serve', 'down', SVC, '--replica-id', String(victim), '-y'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`Replica ${victim} of service '${SVC}' is terminated.`)
    const s = await waitService(h, SVC, (x) => readyCount(x, 2), 60_000)
    expect(s.replica_info.some((x) => x.replica_id === victim)).toBe(false)
  }, 90_000)

  test('down tears every replica down and frees the port', async () => {
    const port = Number(endpoint.split(':')[2])
    const r = await h.sky(['serve', 'down', SVC, '-y'], { timeoutMs: 90_000 })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`Service '${SVC}' removed.`)
    expect((await get(endpoint + '/')).status).toBe(0)
    // The port can be bound again.
    await new Promise<void>((resolve, reject) => {
      const srv = createServer()
      srv.once('error', reject)
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()))
    })
    expect((await h.sky(['serve', 'status'])).stdout).toContain('No live services.')
    const after = await h.sky(['status'])
    expect(after.stdout).toContain('No existing clusters.')
    expect(after.stdout).toEndWith('\n\nServices\nNo live services.\n')
    const tag = networkTagOf(h, SVC)
    const netns = Bun.spawnSync(['ip', 'netns', 'list']).stdout.toString()
    expect(netns).not.toContain(`sky-${tag}-`)
    const again = await h.sky(['serve', 'down', SVC, '-y'])
    expect(again.code).toBe(4)
    expect(again.stderr).toContain(`Service '${SVC}' does not exist.`)
  }, 120_000)
})
