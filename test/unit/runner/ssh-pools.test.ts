import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { ValidationError } from '../../../src/core/errors.ts'
import { loadSshPools, parseSshPools } from '../../../src/core/provision/ssh/pools.ts'
import { paths } from '../../../src/core/paths.ts'
import { setEnv } from '../../harness'

/** Every parsed host is checked against SKY_HOME's known_hosts. */
const KH = expect.any(String) as unknown as string

const dir = mkdtempSync(join(tmpdir(), 'sky-pools-'))
const key = join(dir, 'id_key')
writeFileSync(key, 'not checked for content')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function issues(text: string): string[] {
  try {
    parseSshPools(text, { checkFiles: false })
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError)
    return (err as ValidationError).issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
  }
  throw new Error('expected a ValidationError')
}

describe('parseSshPools', () => {
  test("SkyPilot's documented format: plain hosts and per-host overrides inheriting pool defaults", () => {
    const pools = parseSshPools(
      `
my-cluster:
  user: ubuntu
  identity_file: ${key}
  hosts:
    - 1.2.3.4
    - ip: 1.2.3.5
      user: admin
      password: secret
    - ip: gpu-box
      port: 2222
my-box:
  hosts:
    - hostname_in_ssh_config
`,
      { checkFiles: true },
    )
    expect(Object.keys(pools)).toEqual(['my-cluster', 'my-box'])
    expect(pools['my-cluster']!.hosts).toEqual([
      { host: '1.2.3.4', knownHosts: KH, port: 22, user: 'ubuntu', identityFile: key },
      { host: '1.2.3.5', knownHosts: KH, port: 22, user: 'admin', identityFile: key, password: 'secret' },
      { host: 'gpu-box', knownHosts: KH, port: 2222, user: 'ubuntu', identityFile: key },
    ])
    expect(pools['my-cluster']!.user).toBe('ubuntu')
    expect(pools['my-box']!.hosts).toEqual([{ host: 'hostname_in_ssh_config', knownHosts: KH, port: 22, user: userInfo().username }])
  })

  test('pool port, numeric passwords and ~ in identity files', () => {
    const pools = parseSshPools('p:\n  port: 2200\n  password: 1234\n  identity_file: ~/.ssh/k\n  hosts: [10.0.0.1]\n', { checkFiles: false })
    expect(pools.p!.hosts[0]).toEqual({ host: '10.0.0.1', knownHosts: KH, port: 2200, user: userInfo().username, password: '1234', identityFile: join(homedir(), '.ssh/k') })
  })

  test('jump hosts: pool default as a string, per-host mapping, and per-host opt-out', () => {
    const pools = parseSshPools(
      `
p:
  user: ubuntu
  identity_file: /k
  jump_host: ops@bastion:2022
  hosts:
    - 10.0.0.1
    - ip: 10.0.0.2
      jump_host: { ip: 10.0.0.9, user: jumper, identity_file: /j }
    - ip: 10.0.0.3
      jump_host: null
`,
      { checkFiles: false },
    )
    const [a, b, c] = pools.p!.hosts
    expect(a!.jump).toEqual({ host: 'bastion', knownHosts: KH, port: 2022, user: 'ops', identityFile: '/k' })
    expect(b!.jump).toEqual({ host: '10.0.0.9', knownHosts: KH, port: 22, user: 'jumper', identityFile: '/j' })
    expect(c!.jump).toBeUndefined()
  })

  test('an empty file has no pools; a non-mapping is rejected', () => {
    expect(parseSshPools('')).toEqual({})
    expect(parseSshPools('# nothing yet\n')).toEqual({})
    expect(issues('- a\n- b\n')).toEqual(['ssh_node_pools.yaml: must be a mapping of pool name to pool'])
  })

  test('every problem is reported with its field path', () => {
    expect(
      issues(`
my-pool:
  user: ''
  port: 70000
  hosts:
    - 10.0.0.1
    - user: x
    - ip: 10.0.0.3
      port: "22"
      colour: red
    - 42
other:
  hosts: []
third:
  identity_file: /k
bad name!:
  hosts: [h]
`),
    ).toEqual([
      'my-pool.user: must be a non-empty string',
      'my-pool.port: must be a port number (1-65535)',
      'my-pool.hosts[1].ip: missing',
      'my-pool.hosts[2].colour: unknown field (allowed: ip, user, identity_file, password, port, jump_host)',
      'my-pool.hosts[2].port: must be a port number (1-65535)',
      'my-pool.hosts[3]: must be an address or a mapping with ip',
      'other.hosts: must be a non-empty list',
      'third.hosts: missing',
      "bad name!: pool names may only use letters, digits, '.', '_' and '-'",
    ])
  })

  test('unknown pool keys, bad jump hosts and missing identity files', () => {
    expect(issues('p:\n  hosts: [a]\n  jump_host: "not valid!@@"\n  extra: 1\n')).toEqual([
      'p.extra: unknown field (allowed: hosts, user, identity_file, password, port, jump_host)',
      'p.jump_host: must be [user@]host[:port] or a mapping with ip',
    ])
    let err: unknown
    try {
      parseSshPools(`p:\n  hosts:\n    - ip: a\n      identity_file: ${join(dir, 'missing')}\n`)
    } catch (e) {
      err = e
    }
    expect((err as ValidationError).message).toBe(`p.hosts[0].identity_file: file ${join(dir, 'missing')} not found`)
  })

  test('duplicate keys and YAML syntax errors are validation errors', () => {
    expect(() => parseSshPools('p:\n  hosts: [a]\np:\n  hosts: [b]\n')).toThrow(ValidationError)
    expect(() => parseSshPools('p: [unclosed\n')).toThrow(ValidationError)
  })
})

describe('loadSshPools', () => {
  test('reads paths.sshNodePools() under SKY_HOME; a missing file means no pools', () => {
    const restore = setEnv({ SKY_HOME: dir })
    try {
      expect(loadSshPools()).toEqual({})
      writeFileSync(paths.sshNodePools(), `lab:\n  user: me\n  identity_file: ${key}\n  hosts: [192.168.1.10]\n`)
      expect(loadSshPools().lab!.hosts).toEqual([{ host: '192.168.1.10', knownHosts: KH, port: 22, user: 'me', identityFile: key }])
      writeFileSync(paths.sshNodePools(), 'lab:\n  hosts:\n    - {user: me}\n')
      expect(() => loadSshPools()).toThrow('lab.hosts[0].ip: missing')
    } finally {
      restore()
    }
  })
})
