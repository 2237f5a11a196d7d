// The cloud-VM pieces that need no cloud: ranks kept across crashes, statuses per rank, error
// classification by cause and scope, per-user keys, proxy command expansion, and the aws: config.
import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { resetConfig } from '../../../src/core/config'
import { failureOf } from '../../../src/core/provision/errors'
import { awsSettings, homeRegion, proxyCommandFor } from '../../../src/core/provision/aws/config'
import { awsFailure } from '../../../src/core/provision/aws/errors'
import { archOf } from '../../../src/core/provision/aws/images'
import type { VmInstance } from '../../../src/core/provision/cloud-vm/driver'
import { clusterKeyPair, userKey, userKeyDir } from '../../../src/core/provision/cloud-vm/keys'
import { planRanks } from '../../../src/core/provision/cloud-vm/provisioner'
import { stateMapper, statusByRank } from '../../../src/core/provision/cloud-vm/states'
import { expandProxyCommand } from '../../../src/core/runner/proxy-command'

const vm = (id: string, rank: number | null, state: VmInstance['state'], extra: Partial<VmInstance> = {}): VmInstance => ({
  id,
  cluster: 'c-1234',
  rank,
  state,
  zone: 'us-east-1a',
  privateIp: '172.31.0.1',
  publicIp: '54.0.0.1',
  spot: false,
  ...extra,
})

describe('ranks and statuses', () => {
  test('one instance per rank is kept; duplicates and ranks beyond the cluster go; untagged ones fill the gaps', () => {
    const { keep, retag, extra } = planRanks(
      [vm('i-a', 0, 'running'), vm('i-b', 0, 'stopped'), vm('i-c', 5, 'running'), vm('i-d', null, 'running', { launchedAt: 2 }), vm('i-e', null, 'pending', { launchedAt: 1 })],
      3,
    )
    expect([...keep].map(([r, i]) => [r, i.id]).sort()).toEqual([
      [0, 'i-a'],
      [1, 'i-e'],
      [2, 'i-d'],
    ])
    expect(retag.map(([i, r]) => [i.id, r])).toEqual([
      ['i-e', 1],
      ['i-d', 2],
    ])
    expect(extra.map((i) => i.id).sort()).toEqual(['i-b', 'i-c'])
  })

  test('a live instance wins over a terminated leftover of the same rank; a missing rank reads terminated', () => {
    const s = statusByRank([vm('i-old', 0, 'terminated'), vm('i-new', 0, 'pending'), vm('i-w', 1, 'terminated', { reason: 'spot instance preempted by AWS' })], 3)
    expect(s).toEqual([
      { id: 'i-new', rank: 0, state: 'pending' },
      { id: 'i-w', rank: 1, state: 'terminated', reason: 'spot instance preempted by AWS' },
      { id: 'rank-2', rank: 2, state: 'terminated', reason: 'no instance found' },
    ])
  })

  test('cloud states map to node states; unknown words stay unknown', () => {
    const m = stateMapper({ running: 'running', 'shutting-down': 'terminated' })
    expect([m('RUNNING'), m('shutting-down'), m('rebooting'), m(undefined)]).toEqual(['running', 'terminated', 'unknown', 'unknown'])
  })
})

describe('AWS errors fail over by cause', () => {
  const sdkError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } })
  const where = { region: 'us-east-1', zone: 'us-east-1a', op: 'RunInstances' }
  const cases: [string, string, { kind: string; scope: string }][] = [
    ['InsufficientInstanceCapacity', 'We currently do not have sufficient p5.48xlarge capacity', { kind: 'capacity', scope: 'zone' }],
    ['Unsupported', 'Your requested instance type is not supported in your requested Availability Zone', { kind: 'capacity', scope: 'zone' }],
    ['VcpuLimitExceeded', 'You have requested more vCPU capacity than your current vCPU limit', { kind: 'quota', scope: 'region' }],
    ['MaxSpotInstanceCountExceeded', 'Max spot instance count exceeded', { kind: 'quota', scope: 'region' }],
    ['AuthFailure', 'AWS was not able to validate the provided access credentials', { kind: 'auth', scope: 'infra' }],
    ['UnauthorizedOperation', 'You are not authorized to perform this operation', { kind: 'auth', scope: 'infra' }],
    ['OptInRequired', 'You are not subscribed to this service', { kind: 'config', scope: 'region' }],
    ['InvalidAMIID.NotFound', "The image id '[ami-1]' does not exist", { kind: 'config', scope: 'region' }],
    ['InvalidParameterValue', "Invalid value 'x9.huge' for InstanceType.", { kind: 'unsupported', scope: 'region' }],
    ['InvalidParameterValue', 'Tag key is too long', { kind: 'fatal', scope: 'stop' }],
    ['SomethingNew', 'never seen before', { kind: 'fatal', scope: 'stop' }],
  ]
  for (const [code, message, want] of cases) {
    test(`${code}: ${message.slice(0, 40)}… → ${want.kind}/${want.scope}`, () => {
      const e = awsFailure(sdkError(code, message), where)
      expect(failureOf(e)).toMatchObject({ ...want, infra: 'aws', region: 'us-east-1' })
      expect((e as Error).message).toContain(`EC2 RunInstances in us-east-1a: ${code}: ${message}`)
    })
  }

  test('no credentials, and an endpoint that cannot be reached, skip AWS', () => {
    const creds = awsFailure(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), where)
    expect(failureOf(creds)).toMatchObject({ kind: 'auth', scope: 'infra' })
    const down = awsFailure(Object.assign(new Error('Unable to connect. Is the computer able to access the url?'), { code: 'ConnectionRefused' }), where)
    expect(failureOf(down)).toMatchObject({ kind: 'config', scope: 'infra' })
    // What the SDK gives when DNS fails: an error with $metadata but no HTTP status.
    const dns = awsFailure(Object.assign(new Error('getaddrinfo ENOTFOUND ec2.us-east-1.amazonaws.com'), { name: 'DNSException', $metadata: {} }), where)
    expect(failureOf(dns)).toMatchObject({ kind: 'config', scope: 'infra' })
    expect((dns as Error).message).toStartWith('Cannot reach EC2 (us-east-1): getaddrinfo ENOTFOUND')
  })
})

describe('keys', () => {
  test("a user's key is made once (0600), named by its fingerprint; cluster keys are fresh each time", () => {
    const dir = userKeyDir('abcd1234')
    rmSync(dir, { recursive: true, force: true })
    const a = userKey('abcd1234')
    const b = userKey('abcd1234')
    expect(b).toEqual(a)
    expect(a.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ sky-key-abcd1234$/)
    expect(a.fingerprint).toMatch(/^[0-9a-f]{12}$/)
    expect(statSync(a.privateKeyPath).mode & 0o777).toBe(0o600)
    expect(readFileSync(a.privateKeyPath, 'utf8')).toContain('BEGIN OPENSSH PRIVATE KEY')
    expect(userKey('other-user').fingerprint).not.toBe(a.fingerprint)
    const k1 = clusterKeyPair('c')
    const k2 = clusterKeyPair('c')
    expect(k1.publicKey).not.toBe(k2.publicKey)
    expect(existsSync(join(dir, 'sky-key.pub'))).toBe(true)
  })
})

describe('aws: config and the AWS CLI rules', () => {
  const cfg = () => join(process.env.SKY_HOME!, 'config.yaml')
  afterEach(() => {
    rmSync(cfg(), { force: true })
    resetConfig()
  })
  const withConfig = (yaml: string) => {
    writeFileSync(cfg(), yaml)
    resetConfig()
  }

  test('defaults, and every key sky honours', () => {
    withConfig('')
    expect(awsSettings()).toEqual({ vpcName: null, useInternalIps: false, proxyCommand: null, labels: {}, remoteIdentity: 'LOCAL_CREDENTIALS', securityGroupName: null, sshUser: 'ubuntu', diskEncrypted: false })
    withConfig('aws:\n  vpc_name: lab\n  use_internal_ips: true\n  ssh_proxy_command:\n    us-east-1: ssh -W %h:%p jump\n  labels: {team: ml, n: 3}\n  remote_identity: my-profile\n  security_group_name: shared\n  ssh_user: ec2-user\n  disk_encrypted: true\n')
    const s = awsSettings()
    expect(s).toMatchObject({ vpcName: 'lab', useInternalIps: true, labels: { team: 'ml', n: '3' }, remoteIdentity: 'my-profile', securityGroupName: 'shared', sshUser: 'ec2-user', diskEncrypted: true })
    expect(proxyCommandFor(s, 'us-east-1')).toBe('ssh -W %h:%p jump')
    expect(proxyCommandFor(s, 'us-west-2')).toBeNull()
  })

  test('a wrong value names the file and the key', () => {
    withConfig('aws:\n  use_internal_ips: "yes"\n')
    expect(() => awsSettings()).toThrow(/config\.yaml: aws\.use_internal_ips: must be true or false/)
  })

  test('home region: AWS_REGION, AWS_DEFAULT_REGION, the profile, then us-east-1', () => {
    const home = process.env.SKY_HOME!
    expect(homeRegion({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' }, home)).toBe('eu-west-1')
    expect(homeRegion({ AWS_DEFAULT_REGION: 'us-west-2' }, home)).toBe('us-west-2')
    const file = join(home, 'aws-config')
    writeFileSync(file, '[default]\nregion = ap-northeast-1\n[profile work]\nregion = eu-central-1\n')
    expect(homeRegion({ AWS_CONFIG_FILE: file }, home)).toBe('ap-northeast-1')
    expect(homeRegion({ AWS_CONFIG_FILE: file, AWS_PROFILE: 'work' }, home)).toBe('eu-central-1')
    expect(homeRegion({}, join(home, 'nowhere'))).toBe('us-east-1')
  })

  test('Graviton families boot arm64 images', () => {
    expect(['m6g.large', 'c7gn.xlarge', 'g5g.xlarge', 'm6i.large', 'g4dn.xlarge', 'p5.48xlarge'].map(archOf)).toEqual(['arm64', 'arm64', 'arm64', 'x86_64', 'x86_64', 'x86_64'])
  })

  test('proxy commands expand %h, %p, %r and %% as OpenSSH does', () => {
    expect(expandProxyCommand('ssh -W %h:%p -l %r jump # 100%%', '10.0.0.5', 22, 'ubuntu')).toBe('ssh -W 10.0.0.5:22 -l ubuntu jump # 100%')
  })
})

describe('EC2 instances as the shared code sees them', () => {
  test('tags, state and why: a preempted spot instance, one stopped outside sky, one without a rank tag', async () => {
    const { toVm } = await import('../../../src/core/provision/aws/driver')
    const tags = (extra: Record<string, string>) => Object.entries({ 'skypilot-cluster-name': 'c-1234', 'skypilot-server': 'abc', 'skypilot-user': 'u1', ...extra }).map(([Key, Value]) => ({ Key, Value }))
    const spot = toVm({ InstanceId: 'i-1', State: { Name: 'terminated' }, StateReason: { Code: 'Server.SpotInstanceTermination', Message: 'Server.SpotInstanceTermination: Spot instance termination' }, InstanceLifecycle: 'spot', Tags: tags({ 'skypilot-node-rank': '1' }) })
    expect(spot).toMatchObject({ id: 'i-1', cluster: 'c-1234', rank: 1, state: 'terminated', spot: true, reason: 'spot instance preempted by AWS', server: 'abc', userHash: 'u1' })
    const user = toVm({ InstanceId: 'i-2', State: { Name: 'stopped' }, StateTransitionReason: 'User initiated (2026-11-30 10:00:00 GMT)', Tags: tags({ 'skypilot-node-rank': '0' }) })
    expect(user).toMatchObject({ state: 'stopped', reason: 'stopped by a user or API call outside sky', spot: false })
    const bare = toVm({ InstanceId: 'i-3', State: { Name: 'shutting-down' }, Placement: { AvailabilityZone: 'us-east-1c' }, PrivateIpAddress: '172.31.0.9', Tags: tags({}) })
    expect(bare).toMatchObject({ rank: null, state: 'terminated', zone: 'us-east-1c', privateIp: '172.31.0.9', publicIp: null })
  })
})
