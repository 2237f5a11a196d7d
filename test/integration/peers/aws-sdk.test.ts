// The AWS peer (moto behind the fault proxy) driven by the real @aws-sdk/client-ec2, configured by
// the standard environment alone: what an EC2 provisioner needs works, and every call is logged.
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test'
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeKeyPairsCommand,
  DescribeRegionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  ImportKeyPairCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceStopped,
  waitUntilInstanceTerminated,
} from '@aws-sdk/client-ec2'
import { readFileSync } from 'node:fs'
import { startAwsPeer, type AwsPeer } from '../../harness/aws/peer.ts'
import { setEnv } from '../../harness/cloud/env.ts'
import { testKeyPair } from '../../harness/cloud/keys.ts'

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

async function subnetIn(zone: string): Promise<string> {
  const out = await ec2(zone.slice(0, -1)).send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: [zone] }, { Name: 'default-for-az', Values: ['true'] }] }))
  return out.Subnets![0]!.SubnetId!
}

test('regions and zones, with the region taken from the request', async () => {
  const regions = await ec2().send(new DescribeRegionsCommand({}))
  expect(regions.Regions!.map((r) => r.RegionName)).toEqual(expect.arrayContaining(['us-east-1', 'us-west-2', 'eu-west-1']))
  const zones = await ec2('us-west-2').send(new DescribeAvailabilityZonesCommand({}))
  expect(zones.AvailabilityZones!.map((z) => z.ZoneName)).toEqual(expect.arrayContaining(['us-west-2a', 'us-west-2b']))
  expect(zones.AvailabilityZones!.every((z) => z.RegionName === 'us-west-2')).toBe(true)
  expect(peer.proxy.calls.map((c) => [c.action, c.region, c.status])).toEqual([
    ['DescribeRegions', 'us-east-1', 200],
    ['DescribeAvailabilityZones', 'us-west-2', 200],
  ])
})

test('instance types and their offerings per zone', async () => {
  const offerings = await ec2().send(
    new DescribeInstanceTypeOfferingsCommand({ LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: ['p4d.24xlarge'] }] }),
  )
  const zones = offerings.InstanceTypeOfferings!.map((o) => o.Location)
  expect(zones.length).toBeGreaterThan(0)
  expect(zones.every((z) => z!.startsWith('us-east-1'))).toBe(true)
  const types = await ec2().send(new DescribeInstanceTypesCommand({ InstanceTypes: ['g5.xlarge'] }))
  const g5 = types.InstanceTypes![0]!
  expect(g5.VCpuInfo?.DefaultVCpus).toBe(4)
  expect(g5.GpuInfo?.Gpus?.[0]?.Name).toBe('A10G')
})

test('default VPC, one default subnet per zone, security group with ingress rules', async () => {
  const client = ec2()
  const vpcs = await client.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))
  const vpcId = vpcs.Vpcs![0]!.VpcId!
  const subnets = await client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))
  const zones = subnets.Subnets!.map((s) => s.AvailabilityZone)
  expect(new Set(zones).size).toBe(zones.length)
  expect(zones).toContain('us-east-1a')

  const sg = await client.send(new CreateSecurityGroupCommand({ GroupName: 'sky-sg-test', Description: 'sky test', VpcId: vpcId }))
  await client.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: sg.GroupId,
      IpPermissions: [22, 8080].map((p) => ({ IpProtocol: 'tcp', FromPort: p, ToPort: p, IpRanges: [{ CidrIp: '0.0.0.0/0' }] })),
    }),
  )
  const got = await client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['sky-sg-test'] }] }))
  expect(got.SecurityGroups![0]!.IpPermissions!.map((p) => p.FromPort).sort()).toEqual([22, 8080])
  const dup = await client.send(new CreateSecurityGroupCommand({ GroupName: 'sky-sg-test', Description: 'again', VpcId: vpcId })).catch((e) => e)
  expect(dup.name).toBe('InvalidGroup.Duplicate')
})

test('ImportKeyPair keeps the public key', async () => {
  const { publicKey } = testKeyPair()
  const client = ec2('us-west-2')
  await client.send(new ImportKeyPairCommand({ KeyName: 'sky-key-tester', PublicKeyMaterial: new TextEncoder().encode(publicKey) }))
  const keys = await client.send(new DescribeKeyPairsCommand({ KeyNames: ['sky-key-tester'], IncludePublicKey: true }))
  expect(keys.KeyPairs![0]!.KeyType).toBe('ed25519')
  expect(keys.KeyPairs![0]!.PublicKey!.split(' ').slice(0, 2)).toEqual(publicKey.split(' ').slice(0, 2))
})

test('spot RunInstances with tags; DescribeInstances by tag; stop, start, terminate', async () => {
  const client = ec2()
  const subnet = await subnetIn('us-east-1b')
  const run = await client.send(
    new RunInstancesCommand({
      ImageId: 'ami-0123456789abcdef0',
      InstanceType: 'g5.xlarge',
      MinCount: 2,
      MaxCount: 2,
      SubnetId: subnet,
      InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time' } },
      BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 256, VolumeType: 'gp3' } }],
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'skypilot-cluster-name', Value: 'train-1a2b' }, { Key: 'skypilot-user', Value: 'tester' }] }],
    }),
  )
  const ids = run.Instances!.map((i) => i.InstanceId!)
  expect(ids.length).toBe(2)
  expect(run.Instances!.every((i) => i.InstanceLifecycle === 'spot' && i.Placement?.AvailabilityZone === 'us-east-1b')).toBe(true)
  expect(peer.proxy.callsOf('RunInstances')).toMatchObject([{ region: 'us-east-1', zone: 'us-east-1b', subnetId: subnet, instanceType: 'g5.xlarge', market: 'spot', status: 200 }])

  // Another cluster's instance must not show up in this cluster's query.
  await client.send(new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'skypilot-cluster-name', Value: 'other' }] }] }))
  const byTag = async () => {
    const out = await client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:skypilot-cluster-name', Values: ['train-1a2b'] }] }))
    return out.Reservations!.flatMap((r) => r.Instances!)
  }
  const found = await byTag()
  expect(found.map((i) => i.InstanceId).sort()).toEqual([...ids].sort())
  expect(found.every((i) => i.PublicIpAddress && i.PrivateIpAddress?.startsWith('172.31.'))).toBe(true)

  const wait = { client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }
  await waitUntilInstanceRunning(wait, { InstanceIds: ids })
  await client.send(new StopInstancesCommand({ InstanceIds: ids }))
  await waitUntilInstanceStopped(wait, { InstanceIds: ids })
  expect((await byTag()).every((i) => i.State?.Name === 'stopped' && !i.PublicIpAddress)).toBe(true)
  await client.send(new StartInstancesCommand({ InstanceIds: ids }))
  await waitUntilInstanceRunning(wait, { InstanceIds: ids })
  await client.send(new TerminateInstancesCommand({ InstanceIds: ids }))
  await waitUntilInstanceTerminated(wait, { InstanceIds: ids })
  // Terminating again is not an error; an unknown id is.
  await client.send(new TerminateInstancesCommand({ InstanceIds: ids }))
  const unknown = await client.send(new StopInstancesCommand({ InstanceIds: ['i-0000000000000dead'] })).catch((e) => e)
  expect(unknown.name).toBe('InvalidInstanceID.NotFound')
  expect(peer.proxy.callsOf('StartInstances')).toMatchObject([{ zone: 'us-east-1b', instanceType: 'g5.xlarge', market: 'spot' }])
})

test('reset() empties moto and the call log', async () => {
  await ec2().send(new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))
  await peer.reset()
  expect(peer.proxy.calls.length).toBe(0)
  const out = await ec2().send(new DescribeInstancesCommand({}))
  expect(out.Reservations!.length).toBe(0)
  expect(readFileSync(`/proc/${peer.moto.pid}/cmdline`, 'utf8')).toContain('127.0.0.1')
})
