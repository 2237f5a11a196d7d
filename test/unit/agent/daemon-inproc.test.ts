// The daemon in this process, with ssh workers played by a local runner: the remote-rank path
// (start detached on the worker, copy its log, exit code, kill, adoption after a restart).
import { afterEach, describe, expect, test } from 'bun:test'
import { AgentDaemon } from '../../../src/core/agent/daemon'
import { remoteRankPaths, type RunnerFactory } from '../../../src/core/agent/remote'
import { LocalRunner } from '../../../src/core/runner/local'
import { waitFor } from '../../harness'
import { job, makeCluster, pidsWithArgs, type TestCluster } from '../../integration/agent/harness'

/** ssh workers played by local runners in their node's home (injected, as a real transport is). */
const localRunners: RunnerFactory = async (node) => new LocalRunner({ home: node.home, label: `fake-ssh-${node.rank}` })

let c: TestCluster | undefined
let d: AgentDaemon | undefined
afterEach(async () => {
  await d?.stop()
  d = undefined
  await c?.cleanup()
  c = undefined
})

async function sshCluster(): Promise<TestCluster> {
  const cl = await makeCluster({ nodes: 2, runners: localRunners })
  cl.spec.nodes[1] = { ...cl.spec.nodes[1]!, kind: 'ssh', ssh: { host: 'worker1.test', port: 22, user: 'me', keyPath: '' } }
  const init = await cl.inproc(['init', '--no-daemon'], cl.spec)
  expect(init.json).toMatchObject({ ok: true, daemonPid: null })
  return cl
}

describe('daemon with ssh workers (in-process)', () => {
  test('remote rank runs in its home, its log lands in run.log, exit code counts', async () => {
    c = await sshCluster()
    d = new AgentDaemon(c.root, { tickMs: 50, runners: localRunners })
    expect(await d.start()).toBe(true)
    const run = 'echo "rank=$SKYPILOT_NODE_RANK home=$HOME secret=$S"; [ "$SKYPILOT_NODE_RANK" = 1 ] && exit 4; true'
    const sub = await c.inproc(['submit'], job(run, { numNodes: 2, secrets: { S: 'very-secret' }, setup: 'echo setup-$SKYPILOT_SETUP_NODE_RANK' }))
    expect(sub.code).toBe(0)
    const j = await c.waitStatus(sub.json.jobId, ['FAILED', 'SUCCEEDED', 'FAILED_SETUP', 'FAILED_DRIVER'])
    expect(j.status).toBe('FAILED')
    expect(j.exitCode).toBe(4)
    const log = c.log(j.id)
    expect(log).toMatch(new RegExp(`^\\(worker1, rank=1, pid=\\d+, ip=10.0.0.2\\) rank=1 home=${c.homes[1]} secret=<redacted>$`, 'm'))
    expect(log).toMatch(/^\(setup, worker1, rank=1, pid=\d+, ip=10.0.0.2\) setup-1$/m)
    expect(log).toMatch(/^\(head, rank=0, pid=\d+\) rank=0/m)
    expect(log).not.toContain('very-secret')
  })

  test('cancel kills the remote rank; a restarted daemon adopts a remote rank and copies the rest of its log', async () => {
    c = await sshCluster()
    d = new AgentDaemon(c.root, { tickMs: 50, runners: localRunners })
    await d.start()
    const tag = `sleep 765.${Date.now() % 1000}`
    const cancelMe = (await c.inproc(['submit'], job(`[ "$SKYPILOT_NODE_RANK" = 1 ] && ${tag}; true`, { numNodes: 2 }))).json.jobId
    await c.waitStatus(cancelMe, ['RUNNING'])
    await waitFor(() => pidsWithArgs(tag, true).length > 0, { timeoutMs: 5000, what: 'the remote rank to start' })
    expect(pidsWithArgs(tag, true).length).toBe(1)
    expect((await c.inproc(['cancel', '--ids', String(cancelMe)])).json.cancelled).toEqual([cancelMe])
    expect(pidsWithArgs(tag, true)).toEqual([])

    const w = c.homes[1]!
    const run = `echo before-$SKYPILOT_NODE_RANK; while [ ! -f "${w}/go" ]; do sleep 0.05; done; echo after-$SKYPILOT_NODE_RANK`
    const id = (await c.inproc(['submit'], job(run, { numNodes: 2 }))).json.jobId
    await c.waitStatus(id, ['RUNNING'])
    await waitFor(() => c!.log(id).includes('before-1'), { what: "the remote rank's first line in run.log" })
    await d.stop()
    await Bun.write(`${w}/go`, '')
    // With no daemon watching, the remote rank finishes: its wrapper writes its exit file.
    const exitFile = remoteRankPaths(c.spec.nodes[1]!, id, 'run', 1).exit
    await waitFor(() => Bun.file(exitFile).exists(), { what: `the remote rank's exit file ${exitFile}` })
    d = new AgentDaemon(c.root, { tickMs: 50, runners: localRunners })
    await d.start()
    const j = await c.waitStatus(id, ['SUCCEEDED', 'FAILED', 'FAILED_DRIVER'])
    expect(j.status).toBe('SUCCEEDED')
    const log = c.log(id)
    expect(log.match(/before-1/g)).toHaveLength(1)
    expect(log).toContain('after-1')
    expect(log).toContain('after-0')
  })
})
