// Managed jobs on AWS, end to end with the compiled binary against moto's EC2 (behind the fault
// proxy, instances mapped to real sshd hosts as in clusters-aws.test.ts): a job gets its own
// instance, runs, and the instance is terminated when it ends; an instance terminated behind
// sky's back while the job runs is noticed, the job relaunched on a new instance and finished with
// #RECOVERIES >= 1; a capacity failure in one zone moves the job's cluster to the next zone. As
// root the file runs a second time inside a loopback-only network namespace.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describeInstances, ec2Query } from '../harness/aws/ec2-raw'
import { startAwsWorld, type AwsWorld } from '../harness/aws/world'
import { tempHome, waitFor, type TempHome } from '../harness'
import { jobLogs, launchedId, waitStatus } from '../harness/jobs'
import { loopbackNetnsSupport, rerunInLoopbackNetns } from '../harness/netns'

const INSIDE = process.env.SKY_TEST_AWS_JOBS_NETNS === '1'
const netns = loopbackNetnsSupport()

if (netns.ok && !INSIDE) {
  rerunInLoopbackNetns(import.meta.path, 'SKY_TEST_AWS_JOBS_NETNS', 'AWS managed jobs inside a loopback-only network namespace')
} else {
  describe('managed jobs on AWS (moto)', () => {
    let world: AwsWorld
    let h: TempHome

    /** Instances moto holds for a job's cluster (named `<task>-<job id>`), any state. */
    const instances = async (cluster: string) =>
      (await describeInstances(world.peer.moto.endpoint, 'us-east-1')).filter((i) => i.tags['skypilot-display-name'] === cluster)
    const live = async (cluster: string) => (await instances(cluster)).filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down')
    const anyOf = async (cluster: string) => (await instances(cluster)).length

    /** The agents' own logs on every test host (for a failure's story). */
    const agentLogs = () =>
      world.hosts.hosts
        .map((x) => {
          const d = join(x.home, '.sky-runtime')
          if (!existsSync(d)) return ''
          const logs = readdirSync(d, { recursive: true }).map(String).filter((f) => f.endsWith('.log'))
          return logs.map((f) => `--- ${x.name}:${f}\n${readFileSync(join(d, f), 'utf8').slice(-2500)}`).join('\n')
        })
        .join('\n')

    beforeAll(async () => {
      world = await startAwsWorld({ hosts: 4 })
      h = await tempHome()
      Object.assign(h.env, world.env)
      h.config(world.configYaml())
      expect((await h.sky(['check', 'aws'], { timeoutMs: 60_000 })).code).toBe(0)
    }, 120_000)

    afterAll(async () => {
      await h?.sky(['jobs', 'cancel', '-a', '-y'], { timeoutMs: 60_000 }).catch(() => {})
      await h?.sky(['down', '-a', '-y'], { timeoutMs: 120_000 }).catch(() => {})
      await h?.cleanup()
      await world?.stop()
    }, 180_000)

    test('a job runs on its own instance, which is terminated when the job ends', async () => {
      const r = await h.sky(['jobs', 'launch', '-n', 'hello', '-y', '--async', '--infra', 'aws/us-east-1', '--cpus', '2', '--', 'echo hello from $(hostname) rank=$SKYPILOT_NODE_RANK'], { timeoutMs: 60_000 })
      expect(r.code).toBe(0)
      const id = launchedId(r.stdout)
      const done = await waitStatus(h, id, ['SUCCEEDED', 'FAILED', 'FAILED_SETUP', 'FAILED_NO_RESOURCE', 'FAILED_CONTROLLER'], 180_000)
      expect(done.status).toBe('SUCCEEDED')
      expect(done.cloud?.toLowerCase()).toBe('aws')
      expect(done.region).toBe('us-east-1')
      const logs = await jobLogs(h, id)
      expect(logs.text).toMatch(/hello from \S+ rank=0/)
      const cluster = `hello-${id}`
      expect(await anyOf(cluster)).toBe(1)
      await waitFor(async () => (await live(cluster)).length === 0, 60_000, 250)
      expect((await h.sky(['status', '-u'])).stdout).not.toContain(cluster)
    }, 240_000)

    test('an instance terminated while the job runs: RECOVERING, a new instance, SUCCEEDED with #RECOVERIES >= 1', async () => {
      const r = await h.sky(['jobs', 'launch', '-n', 'rec', '-y', '--async', '--infra', 'aws/us-east-1', '--', 'echo attempt on $(hostname); sleep 6; echo finished'], { timeoutMs: 60_000 })
      expect(r.code).toBe(0)
      const id = launchedId(r.stdout)
      const cluster = `rec-${id}`
      await waitStatus(h, id, 'RUNNING', 180_000)
      const [first] = await live(cluster)
      expect(first).toBeDefined()
      await ec2Query(world.peer.moto.endpoint, 'us-east-1', { Action: 'TerminateInstances', 'InstanceId.1': first!.id })
      await world.power.sweep()
      const done = await waitStatus(h, id, ['SUCCEEDED', 'FAILED', 'FAILED_NO_RESOURCE', 'FAILED_CONTROLLER', 'CANCELLED'], 240_000)
      // On a failure, the reason and the controller's log of this job are in the diff.
      const story = done.status === 'SUCCEEDED' ? '' : `${(await jobLogs(h, id, ['--controller'])).text}\n${(await jobLogs(h, id)).text}\n${agentLogs()}`
      expect({ status: done.status, reason: done.failure_reason, story }).toEqual({ status: 'SUCCEEDED', reason: null, story: '' })
      expect(done.recovery_count).toBeGreaterThanOrEqual(1)
      // A second instance was made for the same cluster name, and both are gone now.
      expect(await anyOf(cluster)).toBeGreaterThanOrEqual(2)
      await waitFor(async () => (await live(cluster)).length === 0, 60_000, 250)
      expect((await jobLogs(h, id)).text).toContain('finished')
    }, 360_000)

    test("no capacity in the first zone: the job's cluster goes to the next zone", async () => {
      const rule = world.peer.proxy.fail({ fault: 'InsufficientInstanceCapacity', zone: ['us-east-1a'] })
      try {
        const r = await h.sky(['jobs', 'launch', '-n', 'zone', '-y', '--async', '--infra', 'aws/us-east-1', '--', 'echo placed'], { timeoutMs: 60_000 })
        expect(r.code).toBe(0)
        const id = launchedId(r.stdout)
        const done = await waitStatus(h, id, ['SUCCEEDED', 'FAILED', 'FAILED_NO_RESOURCE', 'FAILED_CONTROLLER'], 180_000)
        expect(done.status).toBe('SUCCEEDED')
        expect(done.zone).not.toBe('us-east-1a')
        expect(rule.hits).toBeGreaterThanOrEqual(1)
      } finally {
        rule.remove()
      }
    }, 240_000)
  })
}
