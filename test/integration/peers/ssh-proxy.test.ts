// SSH to moto and GCE test-server instances through the shared proxy command: each instance gets
// its own real OpenSSH host, reachable by any of its addresses, with the keys it was launched with;
// OpenSSH, rsync and ssh2 all work through it; anything else is refused and never dialled.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { DescribeInstancesCommand, EC2Client, ImportKeyPairCommand, RunInstancesCommand, StopInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Duplex } from 'node:stream'
import { Client } from 'ssh2'
import { startAwsPeer, type AwsPeer } from '../../harness/aws/peer.ts'
import { setEnv } from '../../harness/cloud/env.ts'
import { testKeyPair } from '../../harness/cloud/keys.ts'
import { createSshMapping, type SshMapping } from '../../harness/cloud/ssh-map.ts'
import { createGceServer, type GceServer } from '../../harness/gce/server.ts'
import { accountHome } from '../../harness'
import { startSshHosts, type SshHosts } from '../../harness/sshd.ts'
import { clients, vm, waitDone } from './gce-helpers.ts'

const isRoot = process.getuid?.() === 0
let aws: AwsPeer
let gce: GceServer
let hosts: SshHosts
let map: SshMapping
let work: string
let restoreEnv: () => void
let user: string
const key = testKeyPair()
const ec2 = () => new EC2Client({ region: 'us-east-1' })

beforeAll(async () => {
  aws = await startAwsPeer()
  gce = createGceServer()
  restoreEnv = setEnv({ ...aws.env, METADATA_SERVER_DETECTION: 'none' })
  // Cloud images log in as ubuntu (AWS) or gcpuser (GCE): aliases of the harness user (needs root).
  hosts = await startSshHosts(5, isRoot ? { loginAliases: ['ubuntu', 'gcpuser'] } : {})
  user = isRoot ? 'ubuntu' : hosts.hosts[0]!.user
  for (const h of hosts.hosts) if (h.home !== accountHome()) writeFileSync(join(h.home, '.which-host'), h.name)
  map = createSshMapping({ hosts, ec2: { endpoint: aws.moto.endpoint, regions: ['us-east-1'] }, gce: { endpoint: gce.endpoint, token: gce.token } })
  work = mkdtempSync(join(tmpdir(), 'sky-sshproxy-'))
}, 60_000)
afterAll(async () => {
  map?.stop()
  await hosts?.stop()
  await gce?.stop()
  await aws?.stop()
  restoreEnv?.()
  if (work) rmSync(work, { recursive: true, force: true })
})

const sshOpts = () => [
  '-o', `ProxyCommand=${map.proxyCommand}`,
  '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
  '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=20', '-i', key.privateKeyPath,
]

async function ssh(address: string, command: string): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(['ssh', ...sshOpts(), `${user}@${address}`, command], { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' })
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  return { code, out: out.trim(), err }
}

async function ec2Instance(opts: { keyName?: string; userDataKey?: boolean } = {}) {
  const userData = opts.userDataKey ? Buffer.from(`#cloud-config\nssh_authorized_keys:\n  - ${key.publicKey}\n`).toString('base64') : undefined
  const out = await ec2().send(
    new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: 'us-east-1a' }, KeyName: opts.keyName, UserData: userData }),
  )
  return out.Instances![0]!
}

async function gceInstance(name: string) {
  const c = clients(gce)
  await waitDone(c, gce.project, 'us-central1-a', (await c.instances.insert({ project: gce.project, zone: 'us-central1-a', instanceResource: vm(name, { sshKey: key.publicKey }) }))[0])
  return (await c.instances.get({ project: gce.project, zone: 'us-central1-a', instance: name }))[0]
}

/** Run the proxy command alone (async: the GCE server it asks lives in this process). */
async function proxyRun(address: string, port: number): Promise<{ code: number; err: string }> {
  const p = Bun.spawn(map.proxyArgv(address, port), { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' })
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited])
  return { code, err: err.trim() }
}

const whichHost = (address: string) => ssh(address, 'cat ~/.which-host 2>/dev/null || echo shared-home')

test('an EC2 instance (key pair) and a GCE instance (ssh-keys metadata) each get their own sshd host, by any address', async () => {
  await ec2().send(new ImportKeyPairCommand({ KeyName: 'sky-key', PublicKeyMaterial: new TextEncoder().encode(key.publicKey) }))
  const a = await ec2Instance({ keyName: 'sky-key' })
  const g = await gceInstance('sky-head')
  const nic = g.networkInterfaces![0]!
  const viaPublic = await whichHost(a.PublicIpAddress!)
  expect(viaPublic.code).toBe(0)
  expect((await whichHost(a.PrivateIpAddress!)).out).toBe(viaPublic.out)
  expect((await whichHost(a.InstanceId!)).out).toBe(viaPublic.out)
  const viaNat = await whichHost(nic.accessConfigs![0]!.natIP!)
  expect(viaNat.code).toBe(0)
  expect((await whichHost(nic.networkIP!)).out).toBe(viaNat.out)
  const assigned = map.assignments()
  expect(Object.keys(assigned).sort()).toEqual([`ec2:${a.InstanceId}`, `gce:${g.id}`].sort())
  expect(assigned[`ec2:${a.InstanceId}`]!.name).not.toBe(assigned[`gce:${g.id}`]!.name)
  if (isRoot) expect([viaPublic.out, viaNat.out]).toEqual([assigned[`ec2:${a.InstanceId}`]!.name, assigned[`gce:${g.id}`]!.name])
  expect(map.dials().every((d) => d.verdict === 'connected')).toBe(true)
})

test('rsync through the proxy command', async () => {
  const a = await ec2Instance({ userDataKey: true }) // key from cloud-config user data this time
  const src = join(work, 'src')
  Bun.spawnSync(['mkdir', '-p', join(src, 'sub')])
  writeFileSync(join(src, 'sub', 'data.txt'), 'payload through the proxy\n')
  // rsync splits -e itself: double quotes keep the ProxyCommand (which holds single quotes) whole.
  const rsh = ['ssh', ...sshOpts()].map((x) => (/\s/.test(x) ? `"${x}"` : x)).join(' ')
  const p = Bun.spawn(['rsync', '-az', '-e', rsh, `${src}/`, `${user}@${a.PublicIpAddress}:rsync-dest/`], { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' })
  expect(await new Response(p.stderr).text()).toBe('')
  expect(await p.exited).toBe(0)
  expect((await ssh(a.PublicIpAddress!, 'cat ~/rsync-dest/sub/data.txt')).out).toBe('payload through the proxy')
  const host = map.assignments()[`ec2:${a.InstanceId}`]!
  if (host.home !== accountHome()) expect(readFileSync(join(host.home, 'rsync-dest/sub/data.txt'), 'utf8')).toBe('payload through the proxy\n')
})

test("ssh2 with the proxy command's stdio as its socket", async () => {
  const g = await gceInstance('sky-ssh2')
  const natIP = g.networkInterfaces![0]!.accessConfigs![0]!.natIP!
  const [cmd, ...args] = map.proxyArgv(natIP, 22)
  const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  const conn = new Client()
  const out = await new Promise<string>((resolve, reject) => {
    conn
      .on('ready', () => {
        conn.exec('echo $((6 * 7)) $USER', (err, stream) => {
          if (err) return reject(err)
          let text = ''
          stream.on('data', (d: Buffer) => (text += d.toString())).on('close', () => resolve(text.trim()))
        })
      })
      .on('error', reject)
      .connect({ sock: Duplex.from({ readable: child.stdout, writable: child.stdin } as unknown as Parameters<typeof Duplex.from>[0]), username: user, privateKey: readFileSync(key.privateKeyPath) })
  })
  conn.end()
  await new Promise((r) => child.once('exit', r))
  expect(out.split(' ')[0]).toBe('42')
})

test('unknown addresses, other ports, stopped instances and keys the instance was not given are refused', async () => {
  const unknown = await ssh('203.0.113.250', 'true')
  expect(unknown.code).toBe(255)
  expect(unknown.err).toContain('refusing 203.0.113.250:22: not an address of any instance')
  expect(await proxyRun('203.0.113.250', 22)).toEqual({ code: 255, err: 'sky test ssh proxy: refusing 203.0.113.250:22: not an address of any instance of the cloud test peers (never dialled)' })

  const a = await ec2Instance({ keyName: 'sky-key' })
  expect((await proxyRun(a.PublicIpAddress!, 8080)).err).toContain('port 8080 is not the SSH port')
  await ec2().send(new StopInstancesCommand({ InstanceIds: [a.InstanceId!] }))
  const stopped = await ssh(a.PrivateIpAddress!, 'true')
  expect(stopped.err).toContain(`ec2 ${a.InstanceId} (us-east-1a) is stopped, not running`)

  const keyless = await ec2Instance()
  const denied = await ssh(keyless.PublicIpAddress!, 'true')
  expect(denied.code).toBe(255)
  expect(denied.err).toContain('Permission denied')
  expect(map.dials().filter((d) => d.verdict === 'refused').length).toBe(4)
})

test("a terminated instance's host goes to the next instance, emptied", async () => {
  const live = (await ec2().send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['running', 'stopped'] }] }))).Reservations!.flatMap((r) => r.Instances!)
  await ec2().send(new TerminateInstancesCommand({ InstanceIds: live.map((i) => i.InstanceId!) }))
  const before = map.assignments()
  expect(Object.keys(before).length).toBe(hosts.hosts.length) // every host taken: the next one must be recycled
  const a = await ec2Instance({ keyName: 'sky-key' })
  const r = await ssh(a.PublicIpAddress!, 'ls -A ~; echo ok')
  expect(r.code).toBe(0)
  const host = map.assignments()[`ec2:${a.InstanceId}`]!
  expect(Object.values(before).map((h) => h.name)).toContain(host.name)
  if (host.home !== accountHome()) expect(r.out).toBe('ok') // a fresh machine: nothing left in the home
  expect(existsSync(host.authorizedKeysPath)).toBe(true)
})
