// Each fault rule of the EC2 fault proxy, seen through the real @aws-sdk/client-ec2: the error the
// SDK surfaces, its retries (an HTTP 500 is retried, three attempts in all), and the call log a
// failover test asserts on.
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test'
import {
  DescribeInstancesCommand,
  DescribeRegionsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  RequestSpotInstancesCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2'
import { startAwsPeer, type AwsPeer } from '../../harness/aws/peer.ts'
import { setEnv } from '../../harness/cloud/env.ts'

let peer: AwsPeer
let restoreEnv: () => void
const ec2 = (region = 'us-east-1') => new EC2Client({ region })

beforeAll(async () => {
  peer = await startAwsPeer()
  restoreEnv = setEnv(peer.env)
})
afterAll(async () => {
  restoreEnv?.()
  await peer?.stop()
})
beforeEach(() => peer.reset())

const launch = (zone: string, extra: Partial<RunInstancesCommandInput> = {}) =>
  ec2(zone.slice(0, -1)).send(
    new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', InstanceType: 'p4d.24xlarge', MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: zone }, ...extra }),
  )

async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; $metadata: { attempts?: number; httpStatusCode?: number } }> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  )
  if (!err) throw new Error('expected the call to fail')
  return err
}

async function instancesIn(region: string): Promise<number> {
  const out = await ec2(region).send(new DescribeInstancesCommand({}))
  return out.Reservations!.flatMap((r) => r.Instances!).length
}

test('InsufficientInstanceCapacity is a 500 the SDK retries; the rule keeps failing; failover order is logged', async () => {
  const rule = peer.proxy.fail({ zone: ['us-east-1a', 'us-east-1b'], instanceType: 'p4d.24xlarge', fault: 'InsufficientInstanceCapacity' })
  for (const zone of ['us-east-1a', 'us-east-1b']) {
    const err = await failure(launch(zone))
    expect(err.name).toBe('InsufficientInstanceCapacity')
    expect(err.message).toContain(`capacity in the Availability Zone you requested (${zone})`)
    expect(err.$metadata).toMatchObject({ attempts: 3, httpStatusCode: 500 })
  }
  const ok = await launch('us-east-1c')
  expect(ok.Instances![0]!.Placement!.AvailabilityZone).toBe('us-east-1c')
  expect(rule.hits).toBe(6)
  expect(peer.proxy.callsOf('RunInstances').map((c) => [c.zone, c.attempt, c.status, c.fault ?? null])).toEqual([
    ['us-east-1a', 1, 500, 'InsufficientInstanceCapacity'],
    ['us-east-1a', 2, 500, 'InsufficientInstanceCapacity'],
    ['us-east-1a', 3, 500, 'InsufficientInstanceCapacity'],
    ['us-east-1b', 1, 500, 'InsufficientInstanceCapacity'],
    ['us-east-1b', 2, 500, 'InsufficientInstanceCapacity'],
    ['us-east-1b', 3, 500, 'InsufficientInstanceCapacity'],
    ['us-east-1c', 1, 200, null],
  ])
  expect(await instancesIn('us-east-1')).toBe(1)
})

test('a rule with `times` fails that many calls, then lets them through (here the SDK retry succeeds)', async () => {
  const rule = peer.proxy.fail({ zone: 'us-east-1a', fault: 'InsufficientInstanceCapacity', times: 2 })
  const out = await launch('us-east-1a')
  expect(out.$metadata.attempts).toBe(3)
  expect(rule.hits).toBe(2)
  expect(rule.remaining).toBe(0)
  expect(peer.proxy.callsOf('RunInstances').map((c) => c.status)).toEqual([500, 500, 200])
})

test("the zone comes from the subnet when the call names no placement (SubnetId or a network interface's)", async () => {
  const subnets = await ec2().send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: ['us-east-1d'] }] }))
  const subnet = subnets.Subnets![0]!.SubnetId!
  peer.proxy.fail({ zone: 'us-east-1d', fault: 'Unsupported' })
  const direct = await failure(launch('us-east-1d', { Placement: undefined, SubnetId: subnet }))
  const viaNic = await failure(launch('us-east-1d', { Placement: undefined, NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnet, AssociatePublicIpAddress: true }] }))
  for (const err of [direct, viaNic]) {
    expect(err.name).toBe('Unsupported')
    expect(err.$metadata).toMatchObject({ attempts: 1, httpStatusCode: 400 })
  }
  expect(peer.proxy.callsOf('RunInstances').map((c) => [c.zone, c.subnetId])).toEqual([
    ['us-east-1d', subnet],
    ['us-east-1d', subnet],
  ])
})

test('VcpuLimitExceeded for a region fails launches there only; other actions and regions pass', async () => {
  peer.proxy.fail({ region: 'us-east-1', fault: 'VcpuLimitExceeded' })
  const err = await failure(launch('us-east-1a'))
  expect(err.name).toBe('VcpuLimitExceeded')
  expect(err.$metadata).toMatchObject({ attempts: 1, httpStatusCode: 400 })
  expect(await instancesIn('us-east-1')).toBe(0) // DescribeInstances in the same region still works
  await launch('us-west-2a')
  expect(peer.proxy.callsOf('RunInstances').map((c) => [c.region, c.status])).toEqual([
    ['us-east-1', 400],
    ['us-west-2', 200],
  ])
})

test('MaxSpotInstanceCountExceeded by market: spot fails, on-demand in the same zone launches', async () => {
  peer.proxy.fail({ market: 'spot', fault: 'MaxSpotInstanceCountExceeded' })
  const spot = await failure(launch('us-east-1a', { InstanceMarketOptions: { MarketType: 'spot' } }))
  expect(spot.name).toBe('MaxSpotInstanceCountExceeded')
  const legacy = await failure(
    ec2().send(new RequestSpotInstancesCommand({ InstanceCount: 1, LaunchSpecification: { ImageId: 'ami-0123456789abcdef0', InstanceType: 'g5.xlarge', Placement: { AvailabilityZone: 'us-east-1b' } } })),
  )
  expect(legacy.name).toBe('MaxSpotInstanceCountExceeded')
  await launch('us-east-1a')
  expect(peer.proxy.calls.map((c) => [c.action, c.market, c.zone, c.status])).toEqual([
    ['RunInstances', 'spot', 'us-east-1a', 400],
    ['RequestSpotInstances', 'spot', 'us-east-1b', 400],
    ['RunInstances', 'on-demand', 'us-east-1a', 200],
  ])
})

test('AuthFailure answers every action (401, not retried); UnauthorizedOperation can target one action', async () => {
  const auth = peer.proxy.fail({ fault: 'AuthFailure', times: 1 })
  const err = await failure(ec2('eu-west-1').send(new DescribeRegionsCommand({})))
  expect(err.name).toBe('AuthFailure')
  expect(err.$metadata).toMatchObject({ attempts: 1, httpStatusCode: 401 })
  expect(auth.hits).toBe(1)

  peer.proxy.fail({ action: 'RunInstances', fault: 'UnauthorizedOperation' })
  await ec2().send(new DescribeRegionsCommand({}))
  const denied = await failure(launch('us-east-1a'))
  expect(denied.name).toBe('UnauthorizedOperation')
  expect(denied.message).toContain('ec2:RunInstances')
  expect(denied.$metadata.httpStatusCode).toBe(403)
  expect(peer.proxy.calls.map((c) => [c.action, c.region, c.fault ?? null])).toEqual([
    ['DescribeRegions', 'eu-west-1', 'AuthFailure'],
    ['DescribeRegions', 'us-east-1', null],
    ['RunInstances', 'us-east-1', 'UnauthorizedOperation'],
  ])
})

test("StartInstances can hit a capacity fault in the instance's zone (looked up from moto)", async () => {
  const id = (await launch('us-east-1f')).Instances![0]!.InstanceId!
  await ec2().send(new StopInstancesCommand({ InstanceIds: [id] }))
  peer.proxy.fail({ action: 'StartInstances', zone: 'us-east-1f', fault: 'InsufficientInstanceCapacity' })
  const err = await failure(ec2().send(new StartInstancesCommand({ InstanceIds: [id] })))
  expect(err.name).toBe('InsufficientInstanceCapacity')
  expect(peer.proxy.callsOf('StartInstances')[0]).toMatchObject({ zone: 'us-east-1f', instanceType: 'p4d.24xlarge', instanceIds: [id] })
})

test('a custom fault answers any status and code; moto errors are logged with their code', async () => {
  peer.proxy.fail({ action: 'DescribeRegions', fault: { status: 503, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' }, times: 1 })
  const out = await ec2().send(new DescribeRegionsCommand({}))
  expect(out.$metadata.attempts).toBe(2) // throttling error, retried
  await failure(ec2().send(new StopInstancesCommand({ InstanceIds: ['i-0000000000000dead'] })))
  expect(peer.proxy.calls.map((c) => [c.action, c.status, c.fault ?? c.errorCode ?? null])).toEqual([
    ['DescribeRegions', 503, 'RequestLimitExceeded'],
    ['DescribeRegions', 200, null],
    ['StopInstances', 400, 'InvalidInstanceID.NotFound'],
  ])
})
