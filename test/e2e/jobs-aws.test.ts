// Managed jobs on AWS, end to end with the compiled binary against moto's EC2 (behind the fault
// proxy, instances mapped to real sshd hosts as in clusters-aws.test.ts): a job gets its own
// instance, runs, and the instance is terminated when it ends; a capacity failure in one zone
// moves the job's cluster to the next zone. As root the file runs a second time inside a
// loopback-only network namespace. (Recovery after a lost cluster is tested on local infra, SSH
// hosts and Kubernetes; see the README's note on AWS recovery.)
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { describeInstances } from '../harness/aws/ec2-raw'
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
