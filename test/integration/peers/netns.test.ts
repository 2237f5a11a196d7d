// The loopback-only network namespace helper: inside it the AWS peer works on 127.0.0.1 and SSH
// to a moto instance goes through the mapping to a local sshd host, while the addresses moto hands
// out cannot be reached at all.
import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { inLoopbackNetns, loopbackNetnsSupport } from '../../harness/netns.ts'

const support = loopbackNetnsSupport()
const harness = join(import.meta.dir, '../../harness')

test('the helper says why when it cannot run', () => {
  if (process.getuid?.() !== 0) expect(support).toEqual({ ok: false, reason: 'a private network namespace needs root' })
  else expect(support).toEqual({ ok: true })
})

test('inside: moto, the SDK and SSH through the mapping work; a public address moto handed out is unreachable', async () => {
  if (!support.ok) return // reported by the test above; nothing else can run here without root
  const script = `
    import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2'
    import { connect } from 'node:net'
    import { readFileSync } from 'node:fs'
    import { startAwsPeer } from ${JSON.stringify(join(harness, 'aws/peer.ts'))}
    import { createSshMapping } from ${JSON.stringify(join(harness, 'cloud/ssh-map.ts'))}
    import { startSshHosts } from ${JSON.stringify(join(harness, 'sshd.ts'))}
    const peer = await startAwsPeer()
    const hosts = await startSshHosts(1)
    const map = createSshMapping({ hosts, ec2: { endpoint: peer.moto.endpoint, regions: ['us-east-1'] } })
    Object.assign(process.env, peer.env)
    const userData = Buffer.from('#cloud-config\\nssh_authorized_keys:\\n  - ' + readFileSync(hosts.keyPath + '.pub', 'utf8')).toString('base64')
    const out = await new EC2Client({ region: 'us-east-1' }).send(new RunInstancesCommand({ ImageId: 'ami-1', InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, UserData: userData }))
    const ip = out.Instances[0].PublicIpAddress
    const ssh = Bun.spawn(['ssh', '-o', 'ProxyCommand=' + map.proxyCommand, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', '-i', hosts.keyPath, hosts.hosts[0].user + '@' + ip, 'echo ran-on-the-test-host'], { stdout: 'pipe', stderr: 'inherit' })
    const sshOut = (await new Response(ssh.stdout).text()).trim()
    await ssh.exited
    map.stop()
    await hosts.stop()
    const dial = (host) => new Promise((resolve) => {
      const s = connect({ host, port: 22 })
      s.once('connect', () => { s.destroy(); resolve('connected') })
      s.once('error', (e) => resolve(e.code))
    })
    const route = Bun.spawnSync(['ip', 'route', 'get', ip], { stderr: 'pipe' }).stderr.toString().trim()
    const result = { ip, route, sshOut, publicDial: await dial(ip), fakeGceDial: await dial('203.0.113.7'), interfaces: Object.keys(require('node:os').networkInterfaces()) }
    await peer.stop()
    console.log(JSON.stringify(result))`
  const p = Bun.spawn(inLoopbackNetns([process.execPath, '-e', script]), { cwd: join(harness, '../..'), stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  expect(err).not.toContain('error')
  expect(code).toBe(0)
  const r = JSON.parse(out.trim().split('\n').pop()!)
  expect(r.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
  // No route at all (Bun reports the failed connect as ECONNREFUSED; curl: "Couldn't connect").
  expect(r.route).toContain('Network is unreachable')
  for (const dial of [r.publicDial, r.fakeGceDial]) expect(['ENETUNREACH', 'ECONNREFUSED']).toContain(dial)
  expect(r.sshOut).toBe('ran-on-the-test-host')
  expect(r.interfaces.filter((i: string) => !i.startsWith('skyt'))).toEqual(['lo']) // plus the sshd harness's own bridge
}, 60_000)
