// SkyPilot habits through the compiled binary: answers piped into prompts, job exit codes
// 100-103, and the flags and messages scripts written for SkyPilot rely on.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { localNodeDir, tempHome, waitFor, type TempHome } from '../harness'

let h: TempHome
beforeAll(async () => {
  h = await tempHome()
})
afterAll(async () => {
  await h.sky(['down', '-a', '-y'])
  await h.cleanup()
})

const all = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr

async function jobStatus(cluster: string, id: number): Promise<string> {
  return (await h.sky(['logs', cluster, String(id), '--status'])).stdout.trim()
}

describe('prompts read their answer from a pipe', () => {
  test('yes | sky launch: launches, and shows the plan once', async () => {
    const r = await h.sky(['launch', '-c', 'p1', '--', 'echo piped-hello'], { stdin: 'y\n'.repeat(100) })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("Launching a new cluster 'p1'. Proceed? [Y/n]")
    expect(r.stdout).toContain('piped-hello')
    expect(all(r).split('Considered resources').length - 1).toBe(1)
  })

  test('an empty answer takes the default (yes); n aborts and launches nothing', async () => {
    const no = await h.sky(['launch', '-c', 'p2', '--', 'true'], { stdin: 'n\n' })
    expect(no.code).toBe(2)
    expect(no.stderr).toContain('Aborted.')
    expect((await h.sky(['status', 'p2'])).stdout).toContain("Cluster 'p2' not found.")
    const dflt = await h.sky(['launch', '-c', 'p2', '--', 'true'], { stdin: '\n' })
    expect(dflt.code).toBe(0)
  })

  test('echo y | sky down; stdin closed is refused with a hint about -y', async () => {
    const closed = await h.sky(['down', 'p2'])
    expect(closed.code).toBe(2)
    expect(closed.stderr).toContain('pass -y')
    const r = await h.sky(['down', 'p2'], { stdin: 'y\n' })
    expect(r.code).toBe(0)
    expect((await h.sky(['status', 'p2'])).stdout).toContain("Cluster 'p2' not found.")
  })
})

describe('job outcomes exit like SkyPilot (100 FAILED, 101 NOT_FINISHED, 102 NOT_FOUND, 103 CANCELLED)', () => {
  test('launch waiting on a failed job exits 100, naming the job exit code; exit 3 of a job is not "no resources"', async () => {
    const r = await h.sky(['launch', '-y', '-c', 'p1', '--', 'exit 3'])
    expect(r.code).toBe(100)
    expect(r.stderr).toContain("Job 2 on cluster 'p1' failed with exit code 3 (status: FAILED).")
    const st = await h.sky(['logs', 'p1', '2', '--status'])
    expect(st.stdout.trim()).toBe('Job 2: FAILED')
    expect(st.code).toBe(100)
    const logs = await h.sky(['logs', 'p1', '2'])
    expect(logs.code).toBe(100)
  })

  test('a setup failure is FAILED_SETUP, exit 100 too', async () => {
    const yaml = join(h.dir, 'setup-fails.yaml')
    writeFileSync(yaml, 'setup: exit 5\nrun: echo never\n')
    const r = await h.sky(['launch', '-y', '-c', 'p1', yaml])
    expect(r.code).toBe(100)
    expect(r.stderr).toContain("Job 3 on cluster 'p1' failed during setup with exit code 5 (status: FAILED_SETUP).")
    expect((await h.sky(['logs', 'p1', '--status'])).code).toBe(100)
  })

  test('a running job: --status exits 101; cancelling it: 103; sky cancel CLUSTER cancels the latest unfinished job', async () => {
    const d = await h.sky(['exec', '-d', 'p1', '--', 'sleep 60'])
    expect(d.code).toBe(0)
    await waitFor(async () => (await jobStatus('p1', 4)) === 'Job 4: RUNNING', 20_000)
    const st = await h.sky(['logs', 'p1', '4', '--status'])
    expect(st.code).toBe(101)
    const c = await h.sky(['cancel', 'p1', '-y'])
    expect(c.code).toBe(0)
    expect(c.stdout).toContain('Cancelled job: 4')
    const after = await h.sky(['logs', 'p1', '4', '--status'])
    expect(after.stdout.trim()).toBe('Job 4: CANCELLED')
    expect(after.code).toBe(103)
    expect((await h.sky(['cancel', 'p1', '-y'])).stdout).toContain('No unfinished job of yours to cancel on p1.')
  })

  test('unknown jobs: logs exits 102 with the message on stderr only; cancel exits 4', async () => {
    const logs = await h.sky(['logs', 'p1', '999'])
    expect(logs.code).toBe(102)
    expect(logs.stdout).toBe('')
    expect(logs.stderr).toContain("Job 999 not found on cluster 'p1'.")
    expect(logs.stderr.split('not found').length - 1).toBe(1)
    const st = await h.sky(['logs', 'p1', '999', '--status'])
    expect(st.code).toBe(102)
    const c = await h.sky(['cancel', 'p1', '999', '-y'])
    expect(c.code).toBe(4)
    expect(c.stderr).toContain("Job 999 not found on cluster 'p1'.")
  })

  test('cancel takes a cluster glob', async () => {
    await h.sky(['exec', '-d', 'p1', '--', 'sleep 60'])
    await waitFor(async () => (await jobStatus('p1', 5)) === 'Job 5: RUNNING', 20_000)
    const c = await h.sky(['cancel', 'p*', '-a', '-y'])
    expect(c.code).toBe(0)
    expect(c.stdout).toContain('Cancelled job: 5')
  })
})

describe('logs flags', () => {
  test('--tail: 1000 lines when following, all with --no-follow, N when given; --sync-down; --provision', async () => {
    const r = await h.sky(['exec', 'p1', '--', 'seq 1 1500'])
    expect(r.code).toBe(0)
    const follow = (await h.sky(['logs', 'p1', '6'])).stdout.trim().split('\n')
    expect(follow).toHaveLength(1000)
    expect(follow[0]).toMatch(/ 501$/)
    expect((await h.sky(['logs', 'p1', '6', '--no-follow'])).stdout.trim().split('\n')).toHaveLength(1500)
    expect((await h.sky(['logs', 'p1', '6', '--tail', '3'])).stdout.trim().split('\n')).toHaveLength(3)
    const sync = await h.sky(['logs', 'p1', '6', '--sync-down'])
    expect(sync.code).toBe(0)
    const file = join(h.dir, 'sky_logs', 'p1', 'job-6', 'run.log')
    expect(sync.stdout).toContain(`Job 6 logs: ${file}`)
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1500)
    const prov = await h.sky(['logs', 'p1', '--provision', '--no-follow'])
    expect(prov.code).toBe(0)
    expect(prov.stdout).toContain('✓ Cluster launched: p1.')
    expect(prov.stdout).toContain('piped-hello')
    const two = await h.sky(['logs', 'p1', '1', '2'])
    expect(two.code).toBe(2)
    expect(two.stderr).toContain('--sync-down')
  })

  test('--worker N keeps one node rank of a multi-node job', async () => {
    const r = await h.sky(['launch', '-y', '-c', 'mn', '--num-nodes', '2', '--', 'echo rank-$SKYPILOT_NODE_RANK'])
    expect(r.code).toBe(0)
    const w1 = await h.sky(['logs', 'mn', '1', '--worker', '1', '--no-follow'])
    expect(w1.stdout).toContain('rank-1')
    expect(w1.stdout).not.toContain('rank-0')
    const w0 = await h.sky(['logs', 'mn', '1', '-w', '0', '--no-follow'])
    expect(w0.stdout).toContain('rank-0')
    expect(w0.stdout).not.toContain('rank-1')
  })

  test('sky api logs -l takes a request log path', async () => {
    const rows = (await (await h.fetch('/api/status?all_status=true')).json()) as { request_id: string; name: string }[]
    const launch = rows.find((x) => x.name === 'sky.launch')!
    const r = await h.sky(['api', 'logs', '-l', join(h.dir, 'api_server', 'request_logs', `${launch.request_id}.log`), '--no-follow'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Considered resources')
    const missing = await h.sky(['api', 'logs', '-l', 'nope/provision.log'])
    expect(missing.code).toBe(4)
  })
})

describe('flags SkyPilot scripts use', () => {
  test('sky exec -c NAME; exec --help names its entrypoint', async () => {
    const r = await h.sky(['exec', '-c', 'p1', '--', 'echo via-c'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('via-c')
    const help = await h.sky(['exec', '--help'])
    expect(help.stdout).toMatch(/ENTRYPOINT/i)
  })

  test('status: managed jobs and services after the clusters, --no-show-* hide them, --ip needs one cluster, --endpoints / --endpoint PORT', async () => {
    const all = await h.sky(['status'])
    expect(all.code).toBe(0)
    expect(all.stdout).toMatch(/^Clusters\n(.+\n)+\nManaged jobs\nNo in-progress managed jobs.\n\nServices\nNo live services.\n$/)
    const s = await h.sky(['status', '--no-show-managed-jobs', '--no-show-services', '--no-show-pools'])
    expect(s.code).toBe(0)
    expect(s.stdout).toContain('p1')
    expect(s.stdout).not.toContain('Managed jobs')
    expect(s.stdout).not.toContain('Services')
    const ip = await h.sky(['status', '--ip'])
    expect(ip.code).toBe(2)
    expect(ip.stderr).toContain('No cluster specified. Please specify an existing cluster to show its IP address.')
    expect(ip.stderr).not.toContain("Cluster ''")
    // Each local node has its own loopback address.
    expect((await h.sky(['status', '--ip', 'p1'])).stdout.trim()).toMatch(/^127\.\d+\.\d+\.\d+$/)
    const none = await h.sky(['status', '--endpoints', 'p1'])
    expect(none.code).toBe(4)
    expect(none.stderr).toContain('exposes no ports')
    expect((await h.sky(['launch', '-y', '-c', 'web', '--ports', '8080', '--ports', '9000-9001', '--', 'true'])).code).toBe(0)
    const eps = await h.sky(['status', '--endpoints', 'web'])
    // The head node's own loopback address.
    const headIp = (await h.sky(['status', '--ip', 'web'])).stdout.trim()
    expect(eps.stdout.trim().split('\n')).toEqual([`8080: ${headIp}:8080`, `9000: ${headIp}:9000`, `9001: ${headIp}:9001`])
    expect((await h.sky(['status', '--endpoint', '9001', 'web'])).stdout.trim()).toBe(`${headIp}:9001`)
    expect((await h.sky(['status', '--endpoint', '7000', 'web'])).code).toBe(4)
  })

  test('launch --wait-for reaches the node; autostop -i 5 --cancel is an error', async () => {
    const r = await h.sky(['launch', '-y', '-c', 'web', '-i', '30', '--wait-for', 'none', '--', 'true'])
    expect(r.code).toBe(0)
    const cfg = JSON.parse(readFileSync(join(localNodeDir(h, 'web'), '.sky-runtime', 'autostop.json'), 'utf8'))
    expect(cfg).toMatchObject({ idleMinutes: 30, waitFor: 'none' })
    const both = await h.sky(['autostop', 'web', '-i', '5', '--cancel', '-y'])
    expect(both.code).toBe(2)
    expect(both.stderr).toContain('not both')
    expect((await h.sky(['launch', '-y', '-c', 'web', '--wait-for', 'sometimes', '--', 'true'])).code).toBe(2)
  })

  test('stop/down --graceful; --graceful-timeout alone is refused', async () => {
    expect((await h.sky(['stop', 'web', '-y', '--graceful-timeout', '10'])).code).toBe(2)
    const r = await h.sky(['stop', 'web', '-y', '--graceful', '--graceful-timeout', '10'])
    expect(r.code).toBe(0)
    expect((await h.sky(['status', 'web'])).stdout).toMatch(/web\s.*STOPPED/)
  })

  test('start -f re-runs runtime setup on an UP cluster; -r is accepted', async () => {
    const f = await h.sky(['start', 'p1', '-f', '-y'])
    expect(f.code).toBe(0)
    expect(all(f)).toContain('runtime set up again')
    const r = await h.sky(['start', 'web', '-r', '-y'])
    expect(r.code).toBe(0)
    expect((await h.sky(['status', 'web'])).stdout).toMatch(/web\s.*UP/)
  })

  test('messages: no ssh hint for local clusters; an error is printed once', async () => {
    const r = await h.sky(['exec', 'p1', '--', 'true'])
    expect(r.stdout).toContain('📋 Useful Commands')
    expect(r.stdout).not.toContain('ssh p1')
    const down = await h.sky(['down', 'nonexistent', '-y'])
    expect(down.code).toBe(4)
    expect(down.stderr.split("Cluster 'nonexistent' not found.").length - 1).toBe(1)
  })

  test('the job sees SKYPILOT_INTERNAL_JOB_ID and SKYPILOT_CLUSTER_INFO with the cloud as SkyPilot names it', async () => {
    const r = await h.sky(['exec', 'p1', '--', 'echo "id=$SKYPILOT_INTERNAL_JOB_ID"; echo "info=$SKYPILOT_CLUSTER_INFO"'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/id=\d+/)
    expect(r.stdout).toContain('"cloud": "Local"')
  })
})

describe('sky start without a name', () => {
  test('picks the only cluster; with several it asks for a name', async () => {
    const one = await tempHome()
    try {
      expect((await one.sky(['launch', '-y', '-c', 'solo', '--', 'true'])).code).toBe(0)
      expect((await one.sky(['stop', 'solo', '-y'])).code).toBe(0)
      const r = await one.sky(['start', '-y'])
      expect(r.code).toBe(0)
      expect((await one.sky(['status', 'solo'])).stdout).toMatch(/solo\s.*UP/)
      expect((await one.sky(['launch', '-y', '-c', 'duo', '--', 'true'])).code).toBe(0)
      const two = await one.sky(['start', '-y'])
      expect(two.code).toBe(2)
      expect(two.stderr).toContain('You have 2 clusters')
      expect((await one.sky(['stop', '-y'])).code).toBe(2)
    } finally {
      await one.sky(['down', '-a', '-y'])
      await one.cleanup()
    }
  })
})
