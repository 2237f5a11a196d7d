// ~/.ssh/config for SSH node pools: aliases fill in what the pool file leaves open (it wins where
// it says something), ProxyJump becomes a chain of verified jump hosts, ProxyCommand is kept with
// its tokens expanded, Include is followed; every host is checked against SKY_HOME/known_hosts.
import { afterEach, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { paths } from '../../../src/core/paths'
import { parseSshPools } from '../../../src/core/provision/ssh/pools'
import { expandProxyCommand } from '../../../src/core/runner/proxy-command'
import { resolveSshConfig } from '../../../src/core/ssh/config'

let home: string
const oldHome = process.env.HOME
afterEach(() => {
  process.env.HOME = oldHome
  rmSync(home, { recursive: true, force: true })
})

function withConfig(text: string, extra: Record<string, string> = {}): void {
  home = mkdtempSync(join(tmpdir(), 'sky-sshcfg-'))
  mkdirSync(join(home, '.ssh'))
  writeFileSync(join(home, '.ssh', 'config'), text)
  for (const [f, t] of Object.entries(extra)) writeFileSync(join(home, '.ssh', f), t)
  writeFileSync(join(home, '.ssh', 'id_lab'), 'key')
  process.env.HOME = home
}

describe('pools from ~/.ssh/config', () => {
  test('an alias gives address, port, user, key and jump chain; the pool file wins where it speaks', () => {
    withConfig(
      [
        'Include extra.conf',
        'Host lab-*',
        '  User labuser',
        '  IdentityFile ~/.ssh/id_lab',
        '  ProxyJump ops@bastion:2022,inner',
      ].join('\n'),
      { 'extra.conf': 'Host lab-gpu1\n  HostName 10.1.0.11\n  Port 2201\nHost inner\n  HostName 10.1.0.2\n' },
    )
    const pools = parseSshPools('lab:\n  hosts:\n    - lab-gpu1\n    - ip: lab-gpu1\n      user: override\n', { checkFiles: false })
    const [a, b] = pools.lab!.hosts
    expect(a).toMatchObject({ host: '10.1.0.11', alias: 'lab-gpu1', port: 2201, user: 'labuser', identityFile: join(home, '.ssh/id_lab'), knownHosts: paths.knownHosts() })
    // Nearest hop first: bastion, then inner (an alias itself), then the host.
    expect(a!.jump).toMatchObject({ host: '10.1.0.2', jump: { host: 'bastion', port: 2022, user: 'ops' } })
    expect(b!.user).toBe('override')
  })

  test('ProxyCommand kept as written (the runner expands %h %p %r); none and Match are respected', () => {
    withConfig(['Host tunnel', '  HostName 10.9.9.9', '  User u', '  ProxyCommand helper --to %h:%p --as %r %%', 'Match host never', '  HostName nope', 'Host plain', '  ProxyJump none'].join('\n'))
    expect(resolveSshConfig('tunnel').proxyCommand).toBe('helper --to %h:%p --as %r %%')
    const [h] = parseSshPools('p:\n  hosts: [tunnel]\n', { checkFiles: false }).p!.hosts
    expect(h).toMatchObject({ host: '10.9.9.9', user: 'u', proxyCommand: 'helper --to %h:%p --as %r %%' })
    expect(expandProxyCommand(h!.proxyCommand!, h!.host, h!.port, h!.user)).toBe('helper --to 10.9.9.9:22 --as u %')
    expect(resolveSshConfig('plain').proxyJump).toEqual([])
    expect(resolveSshConfig('other')).toEqual({ identityFiles: [] })
  })
})
