// SSH done properly against real OpenSSH servers: host keys are recorded on first use and
// verified afterwards (a changed key is refused with a clear message, before any password or key
// is offered), jump hosts included; ProxyCommand carries a connection; ~/.ssh/config aliases give
// HostName, Port, User, IdentityFile and ProxyJump.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { utils } from 'ssh2'
import { SshRunner } from '../../../src/core/runner/ssh'
import { resolveSshConfig } from '../../../src/core/ssh/config'
import { hostPattern, knownKeys } from '../../../src/core/ssh/known-hosts'
import { startSshHosts, type SshHosts } from '../../harness/sshd'

let hosts: SshHosts
let dir: string
beforeAll(async () => {
  hosts = await startSshHosts(2)
  dir = mkdtempSync(join(tmpdir(), 'sky-trust-'))
}, 60_000)
afterAll(async () => {
  await hosts?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const target = (i: number) => ({ host: hosts.hosts[i]!.ip, port: hosts.hosts[i]!.port, user: hosts.hosts[i]!.user, identityFile: hosts.keyPath })

async function run(opts: ConstructorParameters<typeof SshRunner>[0], cmd = 'echo ok') {
  const r = new SshRunner({ connectTimeoutMs: 8000, ...opts })
  try {
    return await r.run(cmd)
  } finally {
    await r.close()
  }
}

describe('host keys', () => {
  test('recorded on first use, accepted after, a changed one refused with the way out', async () => {
    const known = join(dir, 'known_hosts_a')
    expect((await run({ ...target(0), knownHosts: known })).stdout.trim()).toBe('ok')
    const pattern = hostPattern(hosts.hosts[0]!.ip, hosts.hosts[0]!.port)
    const recorded = knownKeys(known, pattern)
    expect(recorded.length).toBe(1)
    // The same key matches OpenSSH's own view of the host.
    const scan = Bun.spawnSync(['ssh-keygen', '-F', pattern, '-f', known]).stdout.toString()
    expect(scan).toContain(recorded[0]!.type)
    expect((await run({ ...target(0), knownHosts: known })).stdout.trim()).toBe('ok')

    // The host now presents another key (as after a reinstall, or an impostor).
    const other = utils.generateKeyPairSync('ed25519')
    const otherBlob = other.public.split(' ')[1]!
    writeFileSync(known, `${pattern} ssh-ed25519 ${otherBlob}\n`)
    let err: Error & { reason?: string } = new Error('none')
    try {
      await run({ ...target(0), knownHosts: known, password: 'never-sent' })
    } catch (e) {
      err = e as typeof err
    }
    expect(err.reason).toBe('hostkey')
    expect(err.message).toContain(`the host key of ${pattern} has changed`)
    expect(err.message).toContain(`ssh-keygen -R '${pattern}' -f ${known}`)
    // Nothing was added: the wrong key is still the only one.
    expect(readFileSync(known, 'utf8').trim().split('\n').length).toBe(1)
  })

  test('without trust on first use an unknown host is refused', async () => {
    const known = join(dir, 'known_hosts_b')
    await expect(run({ ...target(1), knownHosts: known, tofu: false })).rejects.toThrow('is not in')
  })

  test('a jump host is verified too', async () => {
    const known = join(dir, 'known_hosts_c')
    expect((await run({ ...target(1), knownHosts: known, jump: target(0) })).stdout.trim()).toBe('ok')
    expect(knownKeys(known, hostPattern(hosts.hosts[0]!.ip, hosts.hosts[0]!.port)).length).toBe(1)
    expect(knownKeys(known, hostPattern(hosts.hosts[1]!.ip, hosts.hosts[1]!.port)).length).toBe(1)
  })
})

describe('ProxyCommand and ~/.ssh/config', () => {
  test('a ProxyCommand (ssh -W through a bastion) carries the connection', async () => {
    const a = hosts.hosts[0]!
    const b = hosts.hosts[1]!
    const cmd = `ssh -i ${hosts.keyPath} -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -p ${a.port} -W ${b.ip}:${b.port} ${a.user}@${a.ip}`
    const r = await run({ ...target(1), proxyCommand: cmd, knownHosts: join(dir, 'known_hosts_d') }, 'echo via-proxy')
    expect(r.stdout.trim()).toBe('via-proxy')
    await expect(run({ ...target(1), proxyCommand: 'exit 3' })).rejects.toThrow()
  })

  test('an alias resolves HostName, Port, User, IdentityFile and ProxyJump the OpenSSH way', async () => {
    const a = hosts.hosts[0]!
    const b = hosts.hosts[1]!
    const text = [
      `Host bastion`,
      `  HostName ${a.ip}`,
      `  Port ${a.port}`,
      `Host gpu-* !gpu-excluded`,
      `  HostName ${b.ip}`,
      `  ProxyJump bastion`,
      `Host gpu-box`,
      `  HostName 192.0.2.1`,
      `  Port ${b.port}`,
      `Host *`,
      `  User ${b.user}`,
      `  IdentityFile ${hosts.keyPath}`,
      `  IdentitiesOnly yes`,
    ].join('\n')
    const c = resolveSshConfig('gpu-box', { text })
    // First value wins: HostName from `gpu-*`, Port from `gpu-box`.
    expect(c).toEqual({ hostName: b.ip, port: b.port, user: b.user, identityFiles: [hosts.keyPath], identitiesOnly: true, proxyJump: ['bastion'] })
    expect(resolveSshConfig('gpu-excluded', { text }).hostName).toBeUndefined()
    expect(resolveSshConfig('bastion', { text })).toMatchObject({ hostName: a.ip, port: a.port })
  })
})

describe('per-cluster keys', () => {
  test('authorised on a node with the pool credentials, then the only way in; removed at teardown', async () => {
    const { ensureClusterKey, authorizeKeyCommand, deauthorizeKeyCommand } = await import('../../../src/core/ssh/cluster-keys')
    const k = ensureClusterKey(`trust-${Date.now()}`)
    expect(k.publicKey).toMatch(/^ssh-ed25519 \S+ sky-cluster:trust-\d+$/)
    const known = join(dir, 'known_hosts_keys')
    // The user's own key authorises the cluster key (twice: still one line).
    for (let i = 0; i < 2; i++) expect((await run({ ...target(0), knownHosts: known }, authorizeKeyCommand(k))).code).toBe(0)
    const lines = (await run({ ...target(0), knownHosts: known }, 'cat ~/.ssh/authorized_keys')).stdout.split('\n').filter((l) => l.includes(k.marker))
    expect(lines.length).toBe(1)
    const byKey = { host: target(0).host, port: target(0).port, user: target(0).user, identityFile: k.privatePath, knownHosts: known }
    expect((await run(byKey, 'echo with-cluster-key')).stdout.trim()).toBe('with-cluster-key')
    expect((await run({ ...target(0), knownHosts: known }, deauthorizeKeyCommand(k.marker))).code).toBe(0)
    await expect(run(byKey)).rejects.toThrow('authentication failed')
    // Other keys stay.
    expect((await run({ ...target(0), knownHosts: known })).stdout.trim()).toBe('ok')
  })
})
