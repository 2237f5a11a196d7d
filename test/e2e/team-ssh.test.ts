// SSH pools done properly, through the compiled binary against real OpenSSH servers: pool hosts
// may be ~/.ssh/config aliases; host keys are recorded in $SKY_HOME/known_hosts on first use and
// verified afterwards, so a host whose key changed is refused with a clear message (nothing is
// run there).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { utils } from 'ssh2'
import { tempHome, type TempHome } from '../harness'
import { startSshHosts, type SshHosts } from '../harness/sshd'

let hosts: SshHosts
let h: TempHome
const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr

beforeAll(async () => {
  hosts = await startSshHosts(1)
  h = await tempHome()
  const a = hosts.hosts[0]!
  // The pool names the host by an alias of the user's ~/.ssh/config (HOME is the temp home).
  mkdirSync(join(h.dir, '.ssh'), { recursive: true })
  writeFileSync(join(h.dir, '.ssh', 'config'), `Host lab-box\n  HostName ${a.ip}\n  Port ${a.port}\n  User ${a.user}\n  IdentityFile ${hosts.keyPath}\n`)
  writeFileSync(join(h.dir, 'ssh_node_pools.yaml'), 'lab:\n  hosts: [lab-box]\n')
}, 60_000)

afterAll(async () => {
  await h?.sky(['down', '-a', '-y'], { timeoutMs: 60_000 }).catch(() => {})
  await h?.cleanup()
  await hosts?.stop()
})

describe('ssh pools and host keys', () => {
  test('an alias from ~/.ssh/config reaches the host; its key is recorded; a changed key is refused', async () => {
    const a = hosts.hosts[0]!
    const up = await h.sky(['ssh', 'up', '--infra', 'lab'], { timeoutMs: 120_000 })
    expect(out(up)).toContain(`✓ ${a.ip}`)
    const pattern = a.port === 22 ? a.ip : `[${a.ip}]:${a.port}`
    const known = join(h.dir, 'known_hosts')
    const recorded = readFileSync(known, 'utf8')
    expect(recorded.startsWith(`${pattern} `)).toBe(true)

    const ok = await h.sky(['launch', '-y', '-c', 'k1', '--infra', 'ssh/lab', '--', 'echo on-the-host'], { timeoutMs: 180_000 })
    expect(out(ok)).toContain('on-the-host')
    // The cluster's own key is authorised on the node; the user's key stayed here.
    const userKey = readFileSync(hosts.keyPath, 'utf8')
    expect(readFileSync(join(a.home, '.ssh', 'authorized_keys'), 'utf8')).toMatch(/sky-cluster:k1-\S+/)
    expect(Bun.spawnSync(['grep', '-rlF', userKey.split('\n')[1]!, join(a.home, '.sky-runtime')]).stdout.toString()).toBe('')
    // `ssh k1` with OpenSSH: the cluster key, and the host key sky recorded, checked strictly.
    // (OpenSSH finds ~/.ssh/config from the passwd entry, not $HOME: name the test's file.)
    const viaSsh = Bun.spawnSync(['ssh', '-F', join(h.dir, '.ssh', 'config'), '-o', 'BatchMode=yes', 'k1', 'echo via-openssh'], { env: { ...h.env, HOME: h.dir } })
    expect(`${viaSsh.stdout}${viaSsh.stderr}`.trim()).toBe('via-openssh')
    const generated = readFileSync(join(h.dir, 'generated', 'ssh', 'k1'), 'utf8')
    expect(generated).toContain('StrictHostKeyChecking yes')
    expect(generated).toContain(`UserKnownHostsFile ${known}`)

    // The host now presents another key.
    const impostor = utils.generateKeyPairSync('ed25519').public.split(' ')[1]
    writeFileSync(known, `${pattern} ssh-ed25519 ${impostor}\n`)
    const refused = await h.sky(['exec', 'k1', '--', 'echo must-not-run'], { timeoutMs: 120_000 })
    expect(refused.code).not.toBe(0)
    expect(out(refused)).toContain(`the host key of ${pattern} has changed`)
    expect(out(refused)).toContain('ssh-keygen -R')
    expect(out(refused)).not.toContain('must-not-run')
    // Put the real key back (as an admin would after checking) and it works again.
    writeFileSync(known, recorded)
    expect(out(await h.sky(['exec', 'k1', '--', 'echo back-again'], { timeoutMs: 120_000 }))).toContain('back-again')
  }, 400_000)
})
