// Job lifecycle through the agent subprocess: submit, queue, logs, exit codes, setup, secrets.
import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { job, makeCluster, waitUntil, type TestCluster } from './harness'

let c: TestCluster | undefined
afterEach(async () => {
  await c?.cleanup()
  c = undefined
})

describe('agent jobs', () => {
  test('submit runs the job with SkyPilot env; queue, status and logs report it', async () => {
    c = await makeCluster({ name: 'mycluster' })
    const init = await c.agent(['init'], c.spec)
    expect(init.code).toBe(0)
    expect(init.json.ok).toBe(true)
    expect(init.json.daemonPid).toBeGreaterThan(0)
    mkdirSync(join(c.homes[0]!, 'sky_workdir'))

    const run = [
      'echo "rank=$SKYPILOT_NODE_RANK nodes=$SKYPILOT_NUM_NODES gpus=$SKYPILOT_NUM_GPUS_PER_NODE"',
      'echo "ips=$SKYPILOT_NODE_IPS"',
      'echo "task=$SKYPILOT_TASK_ID"',
      'echo "info=$SKYPILOT_CLUSTER_INFO"',
      'echo "user=$SKYPILOT_USER env=$MY_ENV home=$HOME"',
      'echo "secret=$MY_SECRET"',
      'echo "cwd=$(pwd)"',
      'echo to-stderr >&2',
    ].join('\n')
    const id = await c.submit(job(run, { envs: { MY_ENV: 'hello' }, secrets: { MY_SECRET: 'topsecret-value' } }))
    expect(id).toBe(1)
    const done = await c.waitStatus(id, ['SUCCEEDED', 'FAILED'])
    expect(done.status).toBe('SUCCEEDED')
    expect(done.exitCode).toBe(0)
    expect(done.startedAt!).toBeGreaterThanOrEqual(done.submittedAt)
    expect(done.resources).toBe('1x[CPU:0.5]')
    expect(done.taskId).toMatch(/^sky-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-\d{6}_mycluster_1$/)

    const log = c.log(id)
    expect(log).toMatch(/^\(task, pid=\d+\) rank=0 nodes=1 gpus=0$/m)
    expect(log).toContain('ips=10.0.0.1')
    expect(log).toContain(`task=${done.taskId}`)
    expect(log).toContain('info={"cluster_name": "mycluster", "cloud": "Local", "region": "local", "zone": null}')
    expect(log).toContain(`user=alice env=hello home=${c.homes[0]}`)
    expect(log).toContain('secret=<redacted>')
    expect(log).not.toContain('topsecret-value')
    expect(log).toContain(`cwd=${join(c.homes[0]!, 'sky_workdir')}`)
    expect(log).toContain(') to-stderr')

    const logs = await c.agent(['logs', '--job', String(id)])
    expect(logs.code).toBe(0)
    expect(logs.stdout).toBe(log)
    const tail = await c.agent(['logs', '--tail', '2'])
    expect(tail.stdout.trimEnd().split('\n')).toHaveLength(2)

    const status = await c.agent(['status', '--ids', `${id},99`])
    expect(status.json).toEqual({ [String(id)]: 'SUCCEEDED', '99': null })
    expect((await c.agent(['logs', '--job', '99'])).code).toBe(102)

    const health = await c.agent(['health'])
    expect(health.json.ok).toBe(true)
    expect(health.json.jobs).toEqual({ SUCCEEDED: 1 })
    expect(health.json.cluster).toBe('mycluster')
  })

  test('exit codes propagate; setup failure is FAILED_SETUP; no setup skips SETTING_UP', async () => {
    c = await makeCluster()
    await c.agent(['init'], c.spec)
    const failed = await c.submit(job('echo before; exit 42'))
    const setupFail = await c.submit(job('echo never-runs', { setup: 'echo in-setup; exit 3' }))
    const withSetup = await c.submit(job('echo run-$SKYPILOT_NODE_RANK', { setup: 'echo "setup rank=$SKYPILOT_SETUP_NODE_RANK ips=$SKYPILOT_SETUP_NODE_IPS"' }))
    const empty = await c.submit(job('', {}))

    const f = await c.waitStatus(failed, ['FAILED', 'SUCCEEDED'])
    expect(f.status).toBe('FAILED')
    expect(f.exitCode).toBe(42)
    expect((await c.agent(['logs', '--job', String(failed)])).code).toBe(100)

    const s = await c.waitStatus(setupFail, ['FAILED_SETUP', 'FAILED', 'SUCCEEDED'])
    expect(s.status).toBe('FAILED_SETUP')
    expect(s.exitCode).toBe(3)
    expect(c.log(setupFail)).toMatch(/^\(setup pid=\d+\) in-setup$/m)
    expect(c.log(setupFail)).not.toContain('never-runs')

    const w = await c.waitStatus(withSetup, ['SUCCEEDED', 'FAILED', 'FAILED_SETUP'])
    expect(w.status).toBe('SUCCEEDED')
    expect(c.log(withSetup)).toMatch(/\(setup pid=\d+\) setup rank=0 ips=10.0.0.1\n\(task, pid=\d+\) run-0\n/)

    const e = await c.waitStatus(empty, ['SUCCEEDED', 'FAILED'])
    expect(e.status).toBe('SUCCEEDED')
  })

  test('a job that can never fit is rejected at submit', async () => {
    c = await makeCluster({ capacity: { cpus: 2, memoryGb: 4, gpus: { name: 'L4', count: 1 } } })
    await c.agent(['init'], c.spec)
    const tooMany = await c.agent(['submit'], job('true', { demand: { gpus: { name: 'L4', count: 2 } } }))
    expect(tooMany.code).toBe(3)
    expect(tooMany.json.error.code).toBe('RESOURCES_UNAVAILABLE')
    expect(tooMany.json.error.message).toContain('gpus=L4:2')
    const wrongGpu = await c.agent(['submit'], job('true', { demand: { gpus: { name: 'H100', count: 1 } } }))
    expect(wrongGpu.json.error.code).toBe('RESOURCES_UNAVAILABLE')
    const nodes = await c.agent(['submit'], job('true', { numNodes: 2 }))
    expect(nodes.json.error.message).toContain('needs 2 nodes')
    const bad = await c.agent(['submit'], { numNodes: 0, run: 5 })
    expect(bad.code).toBe(2)
    expect(bad.json.error.code).toBe('VALIDATION')
    expect(await c.queue()).toEqual([])
  })

  test('queue filters by user and skips finished jobs', async () => {
    c = await makeCluster()
    await c.agent(['init'], c.spec)
    const a = await c.submit(job('true'))
    const b = await c.submit(job('sleep 30', { user: 'bob', userHash: 'bbbb2222' }))
    await c.waitStatus(a, ['SUCCEEDED'])
    await c.waitStatus(b, ['RUNNING'])
    const mine = await c.agent(['queue', '--user-hash', 'aaaa1111'])
    expect(mine.json.map((j: { id: number }) => j.id)).toEqual([a])
    const all = await c.agent(['queue', '--all-users', '--user-hash', 'aaaa1111'])
    expect(all.json.map((j: { id: number }) => j.id)).toEqual([b, a])
    const active = await c.agent(['queue', '--skip-finished'])
    expect(active.json.map((j: { id: number }) => j.id)).toEqual([b])
    const denied = await c.agent(['cancel', '--ids', String(b), '--user-hash', 'aaaa1111'])
    expect(denied.json.cancelled).toEqual([])
    expect(denied.json.skipped[0].reason).toContain('another user')
    const ok = await c.agent(['cancel', '--all'])
    expect(ok.json.cancelled).toEqual([b])
    expect((await c.job(b)).status).toBe('CANCELLED')
    expect((await c.agent(['logs', '--job', String(b)])).code).toBe(103)
  })

  test('one daemon per root: a second one exits at once; init is idempotent', async () => {
    c = await makeCluster()
    const first = await c.agent(['init'], c.spec)
    // The first daemon has claimed the root (it registers itself just after init returns).
    await waitUntil(async () => (await c!.agent(['health'])).json?.daemon?.pid === first.json.daemonPid, 10_000, 20, 'the first daemon to register')
    const second = await c.agent(['daemon'])
    expect(second.code).toBe(0)
    expect(second.stderr).toContain('another daemon is running')
    const again = await c.agent(['init'], c.spec)
    expect(again.json.daemonPid).toBe(first.json.daemonPid)
    const noStdin = await c.agent(['init'])
    expect(noStdin.json.daemonPid).toBe(first.json.daemonPid)
  })

  test('stop-all fails running jobs and stops the daemon', async () => {
    c = await makeCluster()
    await c.agent(['init'], c.spec)
    const id = await c.submit(job('sleep 60'))
    await c.waitStatus(id, ['RUNNING'])
    const r = await c.agent(['stop-all'])
    expect(r.json).toEqual({ daemonStopped: true, failedJobs: [id] })
    expect((await c.job(id)).status).toBe('FAILED_DRIVER')
    const h = await c.agent(['health'])
    expect(h.json.ok).toBe(false)
    expect(existsSync(join(c.root, 'agent.pid'))).toBe(false)
  })
})
