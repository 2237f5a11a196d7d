// A 2-node cluster whose worker is a real OpenSSH server (test/harness/sshd.ts): the daemon
// reaches rank 1 through SshRunner. Skipped where sshd is not installed.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { accountHome } from '../../harness'
import { join } from 'node:path'
import { startSshHosts, type SshHosts } from '../../harness/sshd'
import { job, makeCluster, pidsWithArgs, waitUntil, type TestCluster } from './harness'

const haveSshd = ['/usr/sbin/sshd', '/usr/bin/sshd'].some((p) => existsSync(p)) && Bun.which('ssh-keygen') !== null

let sshd: SshHosts | undefined
let c: TestCluster | undefined

afterEach(async () => {
  await c?.cleanup()
  c = undefined
})

async function cluster(): Promise<TestCluster> {
  const h = sshd!.hosts[0]!
  const cl = await makeCluster({ nodes: 2 })
  cl.spec.nodes[1] = {
    rank: 1,
    ip: h.ip,
    home: accountHome(),
    kind: 'ssh',
    ssh: { host: h.ip, port: h.port, user: h.user, keyPath: h.keyPath },
    runtimeDir: join(cl.dir, 'worker1-runtime'),
  }
  await cl.agent(['init'], cl.spec)
  return cl
}

describe.skipIf(!haveSshd)('agent with an ssh worker', () => {
  beforeAll(async () => {
    sshd = await startSshHosts(1)
  })
  afterAll(async () => {
    await sshd?.stop()
  })

  test('both ranks run; the worker log is copied with its prefix; a worker failure fails the job', async () => {
    c = await cluster()
    const ip = sshd!.hosts[0]!.ip
    const ok = await c.submit(job('echo "rank=$SKYPILOT_NODE_RANK n=$SKYPILOT_NUM_NODES ips=$(echo $SKYPILOT_NODE_IPS)"', { numNodes: 2 }))
    const j = await c.waitStatus(ok, ['SUCCEEDED', 'FAILED', 'FAILED_DRIVER'], 30_000)
    expect(j.status).toBe('SUCCEEDED')
    const log = c.log(ok)
    expect(log).toMatch(new RegExp(`^\\(worker1, rank=1, pid=\\d+, ip=${ip.replace(/\./g, '\\.')}\\) rank=1 n=2 ips=10.0.0.1 ${ip}$`, 'm'))
    expect(log).toMatch(/^\(head, rank=0, pid=\d+\) rank=0 n=2/m)

    const bad = await c.submit(job('[ "$SKYPILOT_NODE_RANK" = 1 ] && exit 6; sleep 30', { numNodes: 2 }))
    const b = await c.waitStatus(bad, ['SUCCEEDED', 'FAILED', 'FAILED_DRIVER'], 30_000)
    expect(b.status).toBe('FAILED')
    expect(b.exitCode).toBe(6)
  })

  test('cancel kills the rank on the worker', async () => {
    c = await cluster()
    const marker = `sleep 654.${Date.now() % 1000}`
    const id = await c.submit(job(`[ "$SKYPILOT_NODE_RANK" = 1 ] && ${marker}; sleep 30`, { numNodes: 2 }))
    await c.waitStatus(id, ['RUNNING'], 30_000)
    await waitUntil(() => pidsWithArgs(marker, true).length === 1, 15_000)
    const r = await c.agent(['cancel', '--ids', String(id)])
    expect(r.json.cancelled).toEqual([id])
    expect(pidsWithArgs(marker, true)).toEqual([])
  })
})
