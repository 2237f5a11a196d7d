// Managed jobs on an SSH node pool of real OpenSSH servers: jobs queue for the pool's hosts (a
// cluster takes a whole host) and all finish; a cluster torn down from outside is recovered; a
// cancel lands while the job is STARTING and while it is RECOVERING.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempHome, waitFor, type TempHome } from '../harness'
import { jobLogs, jobOf, launchedId, queueJson, waitStatus } from '../harness/jobs'
import { startSshHosts, type SshHosts } from '../harness/sshd'

let hosts: SshHosts
let h: TempHome
const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr
const POOL = ['--infra', 'ssh/jobs-pool']

beforeAll(async () => {
  hosts = await startSshHosts(4)
  h = await tempHome({ config: 'jobs:\n  controller:\n    status_check_seconds: 0.5\n' })
  // jobs-pool: two hosts; pa and pb: one host each (two "regions" for EAGER_NEXT_REGION).
  const pool = (name: string, list: typeof hosts.hosts) =>
    `${name}:\n  user: ${list[0]!.user}\n  identity_file: ${hosts.keyPath}\n  hosts:\n${list.map((x) => `    - ip: ${x.ip}\n      port: ${x.port}\n`).join('')}`
  const [h1, h2, h3, h4] = hosts.hosts
  writeFileSync(join(h.dir, 'ssh_node_pools.yaml'), pool('jobs-pool', [h1!, h2!]) + pool('pa', [h3!]) + pool('pb', [h4!]))
  expect((await h.sky(['check', 'ssh'])).code).toBe(0)
}, 60_000)

afterAll(async () => {
  await h?.sky(['jobs', 'cancel', '-a', '-y'], { timeoutMs: 90_000 }).catch(() => {})
  await h?.sky(['down', '-a', '-y'], { timeoutMs: 90_000 }).catch(() => {})
  await h?.cleanup()
  await hosts?.stop()
}, 120_000)

/** A workdir with a large file, so a launch (which syncs it) takes a moment. */
function slowWorkdir(): string {
  const wd = join(h.dir, 'slow-wd')
  mkdirSync(wd, { recursive: true })
  writeFileSync(join(wd, 'blob.bin'), new Uint8Array(96 * 1024 * 1024).map((_, i) => i % 251))
  return wd
}

describe('managed jobs on SSH hosts', () => {
  test('more jobs than hosts: they wait for a free host, run, and all finish', async () => {
    for (let i = 1; i <= 4; i++) {
      const r = await h.sky(['jobs', 'launch', '-n', `ssh-job-${i}`, '-y', '--async', ...POOL, `echo hello from $(hostname) ${i}; sleep 1`])
      expect(r.code).toBe(0)
    }
    const listed = await waitFor(async () => {
      const st = (await h.sky(['status', '-u'])).stdout
      return st.includes('SSH (jobs-pool)') ? st : undefined
    }, 120_000, 300)
    expect(listed).toMatch(/ssh-job-\d-\d\s+tester\s+SSH \(jobs-pool\)/)
    for (let i = 1; i <= 4; i++) {
      const j = await waitStatus(h, i, 'SUCCEEDED', 180_000)
      expect(j.cloud).toBe('ssh')
      expect((await jobLogs(h, i)).text).toContain(`) hello from `)
    }
    const q = await h.sky(['jobs', 'queue', '-u'])
    expect(q.stdout.match(/SUCCEEDED/g)?.length).toBe(4)
    expect((await h.sky(['status', '-u'])).stdout).toContain('No existing clusters.')
  }, 300_000)

  test('a cluster torn down from outside is relaunched on the pool (#RECOVERIES >= 1)', async () => {
    const go = join(h.dir, 'ssh-go')
    const r = await h.sky(['jobs', 'launch', '-y', '-d', '-n', 'ssh-rec', ...POOL, `echo up-now; while [ ! -f ${go} ]; do sleep 0.3; done; echo over`])
    const id = launchedId(out(r))
    await waitFor(async () => (await jobLogs(h, id)).text.includes('up-now'), 120_000, 300)
    const cluster = (await jobOf(h, id))!.cluster_name!
    expect((await h.sky(['down', '-y', cluster], { timeoutMs: 90_000 })).code).toBe(0)
    await waitFor(async () => {
      const j = await jobOf(h, id)
      return j && j.recovery_count >= 1 && j.status === 'RUNNING'
    }, 120_000, 300)
    writeFileSync(go, '')
    const j = await waitStatus(h, id, 'SUCCEEDED', 120_000)
    expect(j.recovery_count).toBeGreaterThanOrEqual(1)
  }, 300_000)

  test('EAGER_NEXT_REGION: a job whose pool lost its cluster moves to the other pool', async () => {
    const go = join(h.dir, 'eager-go')
    const yaml = join(h.dir, 'eager.yaml')
    writeFileSync(yaml, `name: eager\nresources:\n  any_of:\n    - infra: ssh/pa\n    - infra: ssh/pb\nrun: |\n  echo on-pool; while [ ! -f ${go} ]; do sleep 0.3; done\n`)
    const id = launchedId(out(await h.sky(['jobs', 'launch', '-y', '-d', yaml])))
    await waitFor(async () => (await jobLogs(h, id)).text.includes('on-pool'), 120_000, 300)
    const first = (await jobOf(h, id))!
    expect(['pa', 'pb']).toContain(first.region!)
    expect((await h.sky(['down', '-y', first.cluster_name!], { timeoutMs: 90_000 })).code).toBe(0)
    const moved = await waitFor(async () => {
      const j = await jobOf(h, id)
      return j && j.recovery_count === 1 && j.status === 'RUNNING' ? j : undefined
    }, 120_000, 300)
    expect(moved.region).toBe(first.region === 'pa' ? 'pb' : 'pa')
    expect((await jobLogs(h, id, ['--controller'])).text).toContain(`avoiding ssh/${first.region}`)
    writeFileSync(go, '')
    await waitStatus(h, id, 'SUCCEEDED', 120_000)
  }, 300_000)

  test('cancel while STARTING and while RECOVERING: CANCELLED, and the host is free again', async () => {
    const wd = slowWorkdir()
    const r = await h.sky(['jobs', 'launch', '-y', '-d', '-n', 'ssh-starting', ...POOL, '--workdir', wd, 'echo should-not-run; sleep 60'])
    const id = launchedId(out(r))
    await waitStatus(h, id, 'STARTING', 60_000)
    const c = await h.sky(['jobs', 'cancel', '-y', String(id)], { timeoutMs: 90_000 })
    expect(c.code).toBe(0)
    expect((await jobOf(h, id))!.status).toBe('CANCELLED')

    const go = join(h.dir, 'never')
    const r2 = await h.sky(['jobs', 'launch', '-y', '-d', '-n', 'ssh-recovering', ...POOL, '--workdir', wd, `echo running; while [ ! -f ${go} ]; do sleep 0.3; done`])
    const id2 = launchedId(out(r2))
    await waitFor(async () => (await jobLogs(h, id2)).text.includes('running'), 120_000, 300)
    await h.sky(['down', '-y', (await jobOf(h, id2))!.cluster_name!], { timeoutMs: 90_000 })
    await waitStatus(h, id2, 'RECOVERING', 60_000)
    const c2 = await h.sky(['jobs', 'cancel', '-y', String(id2)], { timeoutMs: 90_000 })
    expect(c2.code).toBe(0)
    const j2 = (await jobOf(h, id2))!
    expect(j2.status).toBe('CANCELLED')
    expect(j2.recovery_count).toBe(1)
    expect((await queueJson(h, ['--skip-finished'])).length).toBe(0)
    expect((await h.sky(['status', '-u'])).stdout).toContain('No existing clusters.')
  }, 300_000)
})
