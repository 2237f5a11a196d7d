// The AWS peer through a second client that is not ours: the AWS CLI (botocore), configured by the
// standard environment only. It must see the same EC2 and the same injected errors as the SDK.
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startAwsPeer, type AwsPeer } from '../../harness/aws/peer.ts'

const AWS_CLI_MISSING = 'the AWS CLI (`aws`) was not found: install it (Debian: `apt-get install awscli`; scripts/ci-deps.sh does) to run the AWS peer tests'

let peer: AwsPeer
let home: string

beforeAll(async () => {
  peer = await startAwsPeer()
  home = mkdtempSync(join(tmpdir(), 'sky-awscli-'))
})
afterAll(async () => {
  await peer?.stop()
  if (home) rmSync(home, { recursive: true, force: true })
})
beforeEach(() => peer.reset())

async function aws(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const bin = Bun.which('aws')
  if (!bin) throw new Error(AWS_CLI_MISSING)
  const p = Bun.spawn([bin, 'ec2', ...args, '--output', 'json'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      AWS_CONFIG_FILE: join(home, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
      AWS_DEFAULT_REGION: 'us-east-1',
      ...peer.env,
      ...env,
    },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  return { code, out, err }
}

test('describe zones, run tagged instances, find them by tag, terminate', async () => {
  const zones = await aws(['describe-availability-zones', '--region', 'us-west-2'])
  expect(zones.code).toBe(0)
  expect(JSON.parse(zones.out).AvailabilityZones.map((z: { ZoneName: string }) => z.ZoneName)).toContain('us-west-2b')

  const run = await aws([
    'run-instances',
    '--image-id', 'ami-0123456789abcdef0',
    '--instance-type', 'g5.xlarge',
    '--count', '2',
    '--placement', 'AvailabilityZone=us-east-1c',
    '--instance-market-options', 'MarketType=spot',
    '--tag-specifications', 'ResourceType=instance,Tags=[{Key=skypilot-cluster-name,Value=cli-1}]',
  ])
  expect(run.code).toBe(0)
  const ids = JSON.parse(run.out).Instances.map((i: { InstanceId: string }) => i.InstanceId)
  expect(ids.length).toBe(2)

  const found = await aws(['describe-instances', '--filters', 'Name=tag:skypilot-cluster-name,Values=cli-1', '--query', 'Reservations[].Instances[].InstanceId'])
  expect(JSON.parse(found.out).sort()).toEqual([...ids].sort())
  expect((await aws(['terminate-instances', '--instance-ids', ...ids])).code).toBe(0)
  expect(peer.proxy.callsOf('RunInstances')).toMatchObject([{ region: 'us-east-1', zone: 'us-east-1c', instanceType: 'g5.xlarge', market: 'spot', status: 200 }])
  expect(peer.proxy.calls.map((c) => c.action)).toEqual(['DescribeAvailabilityZones', 'RunInstances', 'DescribeInstances', 'TerminateInstances'])
})

test('injected faults reach the CLI with their codes; a 500 is retried up to the configured attempts', async () => {
  peer.proxy.fail({ zone: 'us-east-1a', fault: 'InsufficientInstanceCapacity' })
  peer.proxy.fail({ region: 'eu-west-1', fault: 'VcpuLimitExceeded' })
  const base = ['run-instances', '--image-id', 'ami-0123456789abcdef0', '--instance-type', 'p4d.24xlarge']
  const retryEnv = { AWS_RETRY_MODE: 'standard', AWS_MAX_ATTEMPTS: '2' }

  const iic = await aws([...base, '--placement', 'AvailabilityZone=us-east-1a'], retryEnv)
  expect(iic.code).not.toBe(0)
  expect(iic.err).toContain('(InsufficientInstanceCapacity) when calling the RunInstances operation (reached max retries: 1)')
  const quota = await aws([...base, '--region', 'eu-west-1', '--placement', 'AvailabilityZone=eu-west-1a'], retryEnv)
  expect(quota.code).not.toBe(0)
  expect(quota.err).toContain('(VcpuLimitExceeded) when calling the RunInstances operation')

  expect(peer.proxy.callsOf('RunInstances').map((c) => [c.region, c.zone, c.status])).toEqual([
    ['us-east-1', 'us-east-1a', 500],
    ['us-east-1', 'us-east-1a', 500],
    ['eu-west-1', 'eu-west-1a', 400],
  ])
})
