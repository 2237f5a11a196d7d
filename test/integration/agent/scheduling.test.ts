// Scheduling: fractional GPUs sharing devices, concurrency limits, priority, start latency.
import { afterEach, describe, expect, test } from 'bun:test'
import { daemonStepAfter, job, makeCluster, type TestCluster } from './harness'

let c: TestCluster | undefined
afterEach(async () => {
  await c?.cleanup()
  c = undefined
})

describe('agent scheduling', () => {
  test('fractional GPUs: four 0.5-GPU jobs share two L4s, a fifth waits', async () => {
    c = await makeCluster({ capacity: { cpus: 8, memoryGb: 16, gpus: { name: 'L4', count: 2 } } })
    await c.agent(['init'], c.spec)
    const half = { demand: { gpus: { name: 'L4', count: 0.5 } } }
    const run = 'echo "cuda=$CUDA_VISIBLE_DEVICES n=$SKYPILOT_NUM_GPUS_PER_NODE"; while [ ! -f "$HOME/release" ]; do sleep 0.05; done'
    const ids: number[] = []
    for (let i = 0; i < 5; i++) ids.push(await c.submit(job(run, half)))
    for (const id of ids.slice(0, 4)) await c.waitStatus(id, ['RUNNING'])
    // The scheduler has run again since: still waiting.
    await daemonStepAfter(c, Date.now())
    expect((await c.job(ids[4]!)).status).toBe('PENDING')
    const devices = ids.slice(0, 4).map((id) => /cuda=(\d+) n=1/.exec(c!.log(id))?.[1])
    expect(devices.sort()).toEqual(['0', '0', '1', '1'])
    expect((await c.job(ids[0]!)).resources).toBe('1x[L4:0.5]')

    await Bun.write(`${c.homes[0]}/release`, '')
    for (const id of ids) expect((await c.waitStatus(id, ['SUCCEEDED', 'FAILED'])).status).toBe('SUCCEEDED')
  })

  test('whole GPUs get distinct indices; CPU capacity limits concurrency', async () => {
    c = await makeCluster({ capacity: { cpus: 2, memoryGb: 16, gpus: { name: 'L4', count: 2 } } })
    await c.agent(['init'], c.spec)
    const run = 'echo "cuda=$CUDA_VISIBLE_DEVICES"; while [ ! -f "$HOME/release" ]; do sleep 0.05; done'
    const a = await c.submit(job(run, { demand: { cpus: 1, gpus: { name: 'l4', count: 1 } } }))
    const b = await c.submit(job(run, { demand: { cpus: 1, gpus: { name: 'L4', count: 1 } } }))
    const cpuOnly = await c.submit(job('true', { demand: { cpus: 1 } }))
    await c.waitStatus(a, ['RUNNING'])
    await c.waitStatus(b, ['RUNNING'])
    // The scheduler has run again since: still waiting.
    await daemonStepAfter(c, Date.now())
    expect((await c.job(cpuOnly)).status).toBe('PENDING')
    const devs = [a, b].map((id) => /cuda=(\S+)/.exec(c!.log(id))?.[1]).sort()
    expect(devs).toEqual(['0', '1'])
    await Bun.write(`${c.homes[0]}/release`, '')
    expect((await c.waitStatus(cpuOnly, ['SUCCEEDED'])).exitCode).toBe(0)
  })

  test('higher priority starts first; FIFO within a priority', async () => {
    c = await makeCluster({ capacity: { cpus: 1, memoryGb: 4, gpus: null } })
    await c.agent(['init'], c.spec)
    const one = { demand: { cpus: 1 } }
    const blocker = await c.submit(job('while [ ! -f "$HOME/release" ]; do sleep 0.05; done', one))
    await c.waitStatus(blocker, ['RUNNING'])
    const low1 = await c.submit(job('sleep 0.05', one))
    const low2 = await c.submit(job('sleep 0.05', one))
    const high = await c.submit(job('sleep 0.05', { ...one, priority: 10 }))
    const neg = await c.submit(job('sleep 0.05', { ...one, priority: -5 }))
    await Bun.write(`${c.homes[0]}/release`, '')
    const done = await Promise.all([high, low1, low2, neg].map((id) => c!.waitStatus(id, ['SUCCEEDED'])))
    const order = [...done].sort((x, y) => x.startedAt! - y.startedAt!).map((j) => j.id)
    expect(order).toEqual([high, low1, low2, neg])
  })

})
