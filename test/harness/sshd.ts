// Real OpenSSH servers for tests. Preferred mode `netns`: every host is its own sshd in its own
// network namespace `skyt-<id>-<n>` at 10.213.<k>.<n>/24, joined to the root namespace through a
// bridge `skyt<id>br` (10.213.<k>.254) that this harness creates and deletes; each sshd also gets a
// private mount namespace with its own home directory bind-mounted over the user's home. Fallback
// mode `loopback`: sshd on 127.0.0.<n+1>:<free port> in the root namespace (no unreachable-address
// test there). Names carry the owning pid so leftovers of crashed runs can be told from live ones.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { accountHome } from './index'

export type SshHarnessMode = 'netns' | 'loopback'

export interface SshTestHost {
  name: string
  ip: string
  port: number
  user: string
  /** Private key authorized on every host. */
  keyPath: string
  /** Set when the host accepts password auth (SshHostsOptions.password). */
  password?: string
  /** The login user's home as seen by this sshd's sessions, readable from the test. */
  home: string
  /** Keys in this file are accepted by this host only (besides keyPath, accepted by all). */
  authorizedKeysPath: string
  netns?: string
}

export interface SshHosts {
  mode: SshHarnessMode
  /** Why the preferred mode was not used, when it was not. */
  fallbackReason?: string
  hosts: SshTestHost[]
  keyPath: string
  /** A valid key that no host accepts. */
  otherKeyPath: string
  /** An address in the hosts' subnet where nothing answers (netns mode only). */
  unusedIp?: string
  dir: string
  stop(): Promise<void>
}

export interface SshHostsOptions {
  /** Accept password auth for the login user with this password. Needs root (a private /etc/shadow). */
  password?: string
  /** Force a mode; default: netns when possible, else loopback. Env SKY_TEST_SSH_MODE does the same. */
  mode?: SshHarnessMode
  /**
   * Extra login names that are the harness user under another name (a cloud image's `ubuntu` or
   * `gcpuser`), through a private /etc/passwd per sshd. Needs root (private mount namespaces).
   */
  loginAliases?: string[]
}

/** sshd must be started by absolute path (it re-executes itself). */
const sshdPath = () => ['/usr/sbin/sshd', '/usr/bin/sshd', '/usr/local/sbin/sshd'].find((p) => existsSync(p)) ?? Bun.which('sshd') ?? 'sshd'
const ID_RE = /^skyt-?([0-9a-z]{5})([0-9a-z]{2})(?:-|br$|[hp]\d+$)/

function sh(args: string[], opts: { allowFail?: boolean; stdin?: string } = {}): string {
  const r = Bun.spawnSync(args, { stdin: opts.stdin === undefined ? 'ignore' : Buffer.from(opts.stdin), stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0 && !opts.allowFail) {
    throw new Error(`${args.join(' ')} failed (${r.exitCode}): ${r.stderr.toString().trim()}`)
  }
  return r.stdout.toString()
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** All descendants of `pid` (Linux /proc). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = children.get(ppid) ?? []
      list.push(Number(name))
      children.set(ppid, list)
    } catch {}
  }
  const out: number[] = []
  const stack = [pid]
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) {
      out.push(c)
      stack.push(c)
    }
  }
  return out
}

function killAll(pids: number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL')
    } catch {}
  }
}

function ownerDead(name: string): boolean {
  const m = ID_RE.exec(name)
  if (!m) return false
  const pid = parseInt(m[1]!, 36)
  return pid !== process.pid && !pidAlive(pid)
}

/** Remove namespaces, links and temp dirs left by harness runs whose process is gone. */
export function cleanupLeftovers(): void {
  if (process.getuid?.() === 0 && Bun.which('ip')) {
    for (const line of sh(['ip', 'netns', 'list'], { allowFail: true }).split('\n')) {
      const ns = line.split(' ')[0] ?? ''
      if (!ns.startsWith('skyt-') || !ownerDead(ns)) continue
      killAll(sh(['ip', 'netns', 'pids', ns], { allowFail: true }).split('\n').filter(Boolean).map(Number))
      sh(['ip', 'netns', 'del', ns], { allowFail: true })
    }
    for (const line of sh(['ip', '-o', 'link', 'show'], { allowFail: true }).split('\n')) {
      const dev = line.split(': ')[1]?.split('@')[0] ?? ''
      if (dev.startsWith('skyt') && ownerDead(dev)) sh(['ip', 'link', 'del', dev], { allowFail: true })
    }
  }
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('skyt-') || !ownerDead(name)) continue
    const dir = join(tmpdir(), name)
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.pid'))) {
      const pid = Number(readFileSync(join(dir, f), 'utf8').trim())
      if (pid > 1) killAll([...descendants(pid), pid])
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

function keygen(path: string): void {
  sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'sky-test', '-f', path])
}

function passwordHash(password: string): string {
  const salt = Math.random().toString(36).slice(2, 10)
  if (Bun.which('openssl')) return sh(['openssl', 'passwd', '-6', '-salt', salt, '-stdin'], { stdin: password }).trim()
  return sh(['perl', '-e', 'print crypt(<STDIN>, "\\$6\\$' + salt + '\\$")'], { stdin: password }).trim()
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

/** Resolve once `ip:port` greets with an SSH banner. */
async function waitForBanner(ip: string, port: number, timeoutMs: number, log: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = createConnection({ host: ip, port })
      const done = (v: boolean) => {
        sock.destroy()
        resolve(v)
      }
      sock.setTimeout(1000, () => done(false))
      sock.once('error', () => done(false))
      sock.once('data', (d) => done(d.toString().startsWith('SSH-')))
    })
    if (ok) return
    await Bun.sleep(50)
  }
  const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : ''
  throw new Error(`sshd at ${ip}:${port} did not start within ${timeoutMs} ms\n${tail}`)
}

function pathForSessions(): string {
  const dirs = (process.env.PATH ?? '').split(':').filter((d) => d.startsWith('/'))
  const bash = Bun.which('bash')
  if (bash) dirs.unshift(bash.slice(0, bash.lastIndexOf('/')))
  for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) dirs.push(d)
  return [...new Set(dirs)].join(':')
}

interface NetPlan {
  id: string
  k: number
  bridge: string
}

function planNet(id: string): NetPlan {
  const used = new Set<number>()
  for (const m of sh(['ip', '-o', '-4', 'addr', 'show']).matchAll(/inet 10\.213\.(\d+)\./g)) used.add(Number(m[1]))
  const free = Array.from({ length: 250 }, (_, i) => i + 1).filter((k) => !used.has(k))
  if (!free.length) throw new Error('no free 10.213.x.0/24 subnet')
  return { id, k: free[Math.floor(Math.random() * free.length)]!, bridge: `skyt${id}br` }
}

function setupNet(plan: NetPlan, n: number): { ns: string; ip: string } {
  const ns = `skyt-${plan.id}-${n}`
  const host = `skyt${plan.id}h${n}`
  const peer = `skyt${plan.id}p${n}`
  const ip = `10.213.${plan.k}.${n}`
  sh(['ip', 'netns', 'add', ns])
  sh(['ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', peer])
  sh(['ip', 'link', 'set', peer, 'netns', ns])
  sh(['ip', 'link', 'set', host, 'master', plan.bridge])
  sh(['ip', 'link', 'set', host, 'up'])
  sh(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', peer])
  sh(['ip', '-n', ns, 'link', 'set', peer, 'up'])
  sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
  return { ns, ip }
}

function teardownNet(plan: NetPlan, namespaces: string[]): void {
  for (const ns of namespaces) {
    killAll(sh(['ip', 'netns', 'pids', ns], { allowFail: true }).split('\n').filter(Boolean).map(Number))
    sh(['ip', 'netns', 'del', ns], { allowFail: true })
  }
  for (const line of sh(['ip', '-o', 'link', 'show'], { allowFail: true }).split('\n')) {
    const dev = line.split(': ')[1]?.split('@')[0] ?? ''
    if (dev.startsWith(`skyt${plan.id}`)) sh(['ip', 'link', 'del', dev], { allowFail: true })
  }
}

/** Start `count` sshd hosts. Always call `stop()` (an exit hook also cleans up). */
export async function startSshHosts(count: number, opts: SshHostsOptions = {}): Promise<SshHosts> {
  const isRoot = process.getuid?.() === 0
  cleanupLeftovers()
  const id = process.pid.toString(36).padStart(5, '0').slice(-5) + Math.random().toString(36).slice(2, 4).padEnd(2, '0')
  const dir = mkdtempSync(join(tmpdir(), `skyt-${id}-`))
  const keyPath = join(dir, 'id_test')
  const otherKeyPath = join(dir, 'id_other')
  keygen(keyPath)
  keygen(otherKeyPath)
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${keyPath}.pub`))
  if (isRoot) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }) // sshd's privilege-separation dir

  let mode: SshHarnessMode = opts.mode ?? (process.env.SKY_TEST_SSH_MODE as SshHarnessMode | undefined) ?? 'netns'
  let fallbackReason: string | undefined = mode === 'loopback' ? 'loopback mode requested' : undefined
  let plan: NetPlan | null = null
  const namespaces: string[] = []
  const nets: Array<{ ns: string; ip: string }> = []
  const procs: Bun.Subprocess[] = []
  let stopped = false

  const stopSync = () => {
    if (stopped) return
    stopped = true
    for (const p of procs) killAll([...descendants(p.pid), p.pid])
    if (plan) teardownNet(plan, namespaces)
    rmSync(dir, { recursive: true, force: true })
  }
  process.on('exit', stopSync)

  try {
    if (mode === 'netns') {
      if (!isRoot || !Bun.which('ip')) {
        mode = 'loopback'
        fallbackReason = isRoot ? 'iproute2 (ip) is not installed' : 'not running as root'
      } else {
        try {
          plan = planNet(id)
          sh(['ip', 'link', 'add', plan.bridge, 'type', 'bridge'])
          sh(['ip', 'addr', 'add', `10.213.${plan.k}.254/24`, 'dev', plan.bridge])
          sh(['ip', 'link', 'set', plan.bridge, 'up'])
          for (let n = 1; n <= count; n++) {
            namespaces.push(`skyt-${id}-${n}`)
            nets.push(setupNet(plan, n))
          }
        } catch (err) {
          if (plan) teardownNet(plan, namespaces)
          namespaces.length = 0
          nets.length = 0
          plan = null
          mode = 'loopback'
          fallbackReason = `cannot create network namespaces: ${(err as Error).message}`
        }
      }
    }

    const user = isRoot ? 'root' : userInfo().username
    // The home sshd gives sessions (from /etc/passwd), not $HOME: the two differ in tests.
    const realHome = accountHome()
    // Each sshd gets a private mount namespace (own home, and /etc/shadow for password auth) when possible.
    const privateMounts =
      isRoot && Bun.which('unshare') !== null && Bun.spawnSync(['unshare', '--mount', '--propagation', 'private', 'true']).exitCode === 0
    if (opts.password && !privateMounts) throw new Error('password auth in the sshd harness needs root and unshare --mount')
    if (opts.loginAliases?.length && !privateMounts) throw new Error('loginAliases in the sshd harness need root and unshare --mount')
    let passwd: string | undefined
    if (opts.loginAliases?.length) {
      const lines = readFileSync('/etc/passwd', 'utf8').split('\n').filter(Boolean)
      const me = lines.find((l) => l.startsWith(`${user}:`))!.split(':')
      const aliases = opts.loginAliases.filter((a) => !lines.some((l) => l.startsWith(`${a}:`)))
      passwd = join(dir, 'passwd')
      writeFileSync(passwd, [...lines, ...aliases.map((a) => [a, 'x', me[2], me[3], a, realHome, me[6]].join(':'))].join('\n') + '\n')
    }
    let shadow: string | undefined
    if (opts.password) {
      const hash = passwordHash(opts.password)
      shadow = join(dir, 'shadow')
      const lines = readFileSync('/etc/shadow', 'utf8').split('\n')
      writeFileSync(shadow, lines.map((l) => (l.startsWith(`${user}:`) ? l.split(':').map((f, i) => (i === 1 ? hash : f)).join(':') : l)).join('\n'), { mode: 0o640 })
    }

    let etc: string | undefined
    if (passwd || shadow) {
      etc = join(dir, 'etc')
      sh(['cp', '-a', '/etc', etc])
      if (passwd) sh(['cp', passwd, join(etc, 'passwd')])
      if (shadow) sh(['cp', '-p', shadow, join(etc, 'shadow')])
    }

    const hosts: SshTestHost[] = []
    for (let n = 1; n <= count; n++) {
      let ip: string
      let port: number
      let ns: string | undefined
      if (plan) {
        ;({ ns, ip } = nets[n - 1]!)
        port = 22
      } else {
        ip = `127.0.0.${n + 1}`
        port = await freePort(ip)
      }
      const hostKey = join(dir, `host${n}_ed25519`)
      keygen(hostKey)
      const home = privateMounts ? join(dir, `home${n}`) : realHome
      if (privateMounts) mkdirSync(home, { mode: 0o700 })
      const config = join(dir, `sshd${n}.conf`)
      writeFileSync(
        config,
        [
          // In its own namespace a host answers on every address it has (a VM's private IP too).
          `ListenAddress ${plan ? '0.0.0.0' : ip}:${port}`,
          `HostKey ${hostKey}`,
          `PidFile ${join(dir, `sshd${n}.pid`)}`,
          // A host with a home of its own also honours ~/.ssh/authorized_keys, as a real machine does.
          `AuthorizedKeysFile ${join(dir, 'authorized_keys')} ${join(dir, `authorized_keys_host${n}`)}${privateMounts ? ' .ssh/authorized_keys' : ''}`,
          'UsePAM no',
          'StrictModes no',
          `PermitRootLogin ${opts.password ? 'yes' : 'prohibit-password'}`,
          'PubkeyAuthentication yes',
          `PasswordAuthentication ${opts.password ? 'yes' : 'no'}`,
          'KbdInteractiveAuthentication no',
          'AllowTcpForwarding yes',
          'MaxStartups 100',
          'LogLevel VERBOSE',
          'Subsystem sftp internal-sftp',
          `SetEnv PATH=${pathForSessions()}`,
          '',
        ].join('\n'),
      )
      const mounts = [
        privateMounts ? `mount --bind '${home}' '${realHome}'` : '',
        // A private copy of /etc, not a bind mount of the files: tools that change the machine's
        // users (useradd in other tests) replace /etc/passwd, and the kernel drops a mount whose
        // file was replaced, taking the aliases with it.
        etc ? `mount --bind '${etc}' /etc` : '',
      ].filter(Boolean)
      const start = `${mounts.map((m) => `${m} && `).join('')}exec ${sshdPath()} -D -e -f '${config}'`
      const argv = ns
        ? ['ip', 'netns', 'exec', ns, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', start]
        : privateMounts
          ? ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', start]
          : ['sh', '-c', start]
      const log = join(dir, `sshd${n}.log`)
      procs.push(Bun.spawn(argv, { stdin: 'ignore', stdout: Bun.file(log), stderr: Bun.file(log) }))
      hosts.push({ name: `host${n}`, ip, port, user, keyPath, home, authorizedKeysPath: join(dir, `authorized_keys_host${n}`), ...(opts.password ? { password: opts.password } : {}), ...(ns ? { netns: ns } : {}) })
    }
    await Promise.all(hosts.map((h, i) => waitForBanner(h.ip, h.port, 10_000, join(dir, `sshd${i + 1}.log`))))

    return {
      mode,
      ...(fallbackReason ? { fallbackReason } : {}),
      hosts,
      keyPath,
      otherKeyPath,
      ...(plan ? { unusedIp: `10.213.${plan.k}.200` } : {}),
      dir,
      async stop() {
        process.off('exit', stopSync)
        stopSync()
        await Promise.all(procs.map((p) => p.exited))
      },
    }
  } catch (err) {
    process.off('exit', stopSync)
    stopSync()
    throw err
  }
}
