// Gang-started multi-node jobs on a 2-node local cluster.
import { afterEach, describe, expect, test } from 'bun:test'
import { daemonStepAfter, job, makeCluster, pidsWithArgs, waitUntil, type TestCluster } from './harness'

const exactly = (cmd: string) => pidsWithArgs(cmd, true)

let c: TestCluster | undefined
afterEach(async () => {
  await c?.cleanup()
  c = undefined
})

describe('agent multi-node', () => {
  test('every rank gets its rank, the node IPs and the node count; logs are prefixed per rank', async () => {
    c = await makeCluster({ nodes: 2, capacity: { cpus: 2, memoryGb: 4, gpus: { name: 'A100', count: 1 } } })
    await c.agent(['init'], c.spec)
    const run = 'echo "rank=$SKYPILOT_NODE_RANK nodes=$SKYPILOT_NUM_NODES home=$HOME cuda=$CUDA_VISIBLE_DEVICES"; echo "ips=$(echo "$SKYPILOT_NODE_IPS" | paste -sd,)"'
    const setup = 'echo "setup-rank=$SKYPILOT_SETUP_NODE_RANK"'
    const id = await c.submit(job(run, { numNodes: 2, setup, demand: { gpus: { name: 'A100', count: 1 } } }))
    const done = await c.waitStatus(id, ['SUCCEEDED', 'FAILED', 'FAILED_SETUP'])
    expect(done.status).toBe('SUCCEEDED')
    expect(done.exitCodes).toEqual([0, 0])
    expect(done.resources).toBe('2x[A100:1]')
    const log = c.log(id)
    expect(log).toMatch(new RegExp(`^\\(head, rank=0, pid=\\d+\\) rank=0 nodes=2 home=${c.homes[0]} cuda=0$`, 'm'))
    expect(log).toMatch(new RegExp(`^\\(worker1, rank=1, pid=\\d+, ip=10.0.0.2\\) rank=1 nodes=2 home=${c.homes[1]} cuda=0$`, 'm'))
    expect(log).toMatch(/^\(head, rank=0, pid=\d+\) ips=10.0.0.1,10.0.0.2$/m)
    expect(log).toMatch(/^\(worker1, rank=1, pid=\d+, ip=10.0.0.2\) ips=10.0.0.1,10.0.0.2$/m)
    expect(log).toMatch(/^\(setup, head, rank=0, pid=\d+\) setup-rank=0$/m)
    expect(log).toMatch(/^\(setup, worker1, rank=1, pid=\d+, ip=10.0.0.2\) setup-rank=1$/m)
  })

  test('the job fails when one rank fails, and the other ranks are killed', async () => {
    c = await makeCluster({ nodes: 2 })
    await c.agent(['init'], c.spec)
    const marker = `sleep 987.${Date.now() % 1000}`
    const run = `if [ "$SKYPILOT_NODE_RANK" = 1 ]; then sleep 0.3; exit 9; else ${marker}; fi`
    const id = await c.submit(job(run, { numNodes: 2 }))
    await c.waitStatus(id, ['RUNNING'])
    await waitUntil(() => exactly(marker).length === 1, 10_000, 20, "rank 0's process to run")
    const done = await c.waitStatus(id, ['FAILED', 'SUCCEEDED'])
    expect(done.status).toBe('FAILED')
    expect(done.exitCode).toBe(9)
    expect(done.exitCodes?.[1]).toBe(9)
    await waitUntil(() => exactly(marker).length === 0, 10_000, 20, "rank 0's process to be killed")
  })

  test('a job needing more nodes than free waits for them (gang start)', async () => {
    c = await makeCluster({ nodes: 2, capacity: { cpus: 1, memoryGb: 4, gpus: null } })
    await c.agent(['init'], c.spec)
    const single = await c.submit(job('while [ ! -f "$HOME/release" ]; do sleep 0.05; done', { demand: { cpus: 1 } }))
    await c.waitStatus(single, ['RUNNING'])
    const gang = await c.submit(job('echo rank $SKYPILOT_NODE_RANK', { numNodes: 2, demand: { cpus: 1 } }))
    await daemonStepAfter(c, Date.now())
    expect((await c.job(gang)).status).toBe('PENDING')
    await Bun.write(`${c.homes[0]}/release`, '')
    expect((await c.waitStatus(gang, ['SUCCEEDED', 'FAILED'])).status).toBe('SUCCEEDED')
    expect(c.log(gang)).toContain('rank 1')
  })
})
