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
  hosts = await startSshHosts(2)
  h = await tempHome({ config: 'jobs:\n  controller:\n    status_check_seconds: 0.5\n' })
  const list = hosts.hosts.map((x) => `    - ip: ${x.ip}\n      port: ${x.port}\n`).join('')
  writeFileSync(join(h.dir, 'ssh_node_pools.yaml'), `jobs-pool:\n  user: ${hosts.hosts[0]!.user}\n  identity_file: ${hosts.keyPath}\n  hosts:\n${list}`)
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
