// Pod sandboxes: where a pod's processes run.
//
// `netns` mode (root with iproute2 and util-linux): each pod gets its own network namespace
// `skk<id>-<n>` with a veth into a bridge `skk<id>br` (10.214.<k>.0/24, one per harness run), a
// private mount and UTS namespace held by a pause process, and a chroot into the pod's root
// directory, where the host's /usr and /etc are bind-mounted read-only (plus /dev, /proc, /sys) and
// /tmp, /root, /home, /var, /run, /opt are the pod's own. Pod IPs are real and reachable from the
// host and from other pods; absolute paths inside the pod land in its root directory.
//
// `loopback` mode (anyone): processes run on the host with the pod's root directory as working
// directory and HOME=<root>/root; absolute paths are host paths. Pod IPs are 127.<b>.<c>.<d>
// labels (every local address reaches the host's loopback, so a pod listening on 0.0.0.0 answers
// on its IP, and two pods cannot listen on the same port).
//
// Every name carries the run id, whose first five characters are the owner's pid in base 36, so
// leftovers of a crashed run are found and removed by the next run (never by a pattern).
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export type NetworkMode = 'netns' | 'loopback'

export interface Sandbox {
  ip: string
  root: string
  netns?: string
  /** argv and cwd that run `argv` inside the pod, in `workingDir` (a path inside the pod). */
  command(argv: string[], workingDir?: string): { argv: string[]; cwd: string; home: string }
  destroy(): void
}

const ID_RE = /^skk([0-9a-z]{5})[0-9a-z]{2}/
const TAG_ENV = 'SKY_K8S_TEST_RUN'
/** Environment that marks a process as part of pod `pod` of harness run `id`. */
export const runTagEnv = (id: string, pod: string) => ({ [TAG_ENV]: `${id}:${pod}` })

/** Pids whose environment carries a run tag, with the tag's value. */
function taggedProcesses(): { pid: number; tag: string }[] {
  const out: { pid: number; tag: string }[] = []
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    let env = ''
    try {
      env = readFileSync(`/proc/${pid}/environ`, 'latin1')
    } catch {
      continue
    }
    const at = env.indexOf(`${TAG_ENV}=`)
    if (at >= 0) out.push({ pid: Number(pid), tag: env.slice(at + TAG_ENV.length + 1).split('\0')[0]! })
  }
  return out
}

/** SIGKILL every process of the given pods (`id:pod`) or whole runs (`id:`). */
export function killTagged(...prefixes: string[]): void {
  if (!prefixes.length) return
  for (const p of taggedProcesses()) {
    if (!prefixes.some((x) => p.tag.startsWith(x))) continue
    try {
      process.kill(p.pid, 'SIGKILL')
    } catch {}
  }
}

function sh(args: string[], stdin?: string): { ok: boolean; out: string; err: string } {
  const r = Bun.spawnSync(args, { stdin: stdin === undefined ? 'ignore' : Buffer.from(stdin), stdout: 'pipe', stderr: 'pipe' })
  return { ok: r.exitCode === 0, out: r.stdout.toString(), err: r.stderr.toString().trim() }
}

function must(args: string[], stdin?: string): string {
  const r = sh(args, stdin)
  if (!r.ok) throw new Error(`${args.join(' ')}: ${r.err}`)
  return r.out
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const ownerDead = (name: string) => {
  const m = ID_RE.exec(name)
  return !!m && parseInt(m[1]!, 36) !== process.pid && !pidAlive(parseInt(m[1]!, 36))
}

/** Kill processes, namespaces and links left by harness runs whose owner process is gone. */
export function cleanupLeftovers(): void {
  for (const p of taggedProcesses()) {
    if (!ownerDead(`skk${p.tag.split(':')[0]}`)) continue
    try {
      process.kill(p.pid, 'SIGKILL')
    } catch {}
  }
  if (process.getuid?.() !== 0 || !Bun.which('ip')) return
  for (const line of sh(['ip', 'netns', 'list']).out.split('\n')) {
    const ns = line.split(' ')[0] ?? ''
    if (ns.startsWith('skk') && ownerDead(ns)) sh(['ip', 'netns', 'del', ns])
  }
  for (const line of sh(['ip', '-o', 'link', 'show']).out.split('\n')) {
    const dev = line.split(': ')[1]?.split('@')[0] ?? ''
    if (dev.startsWith('skk') && ownerDead(dev)) sh(['ip', 'link', 'del', dev])
  }
}

/** Host paths each netns-mode pod sees read-only at the same place. */
const READ_ONLY = ['/usr', '/etc']

const PAUSE = `set -e
r=$1; shift
for d in "$@"; do mkdir -p "$r$d"; mount --bind -o ro "$d" "$r$d"; done
mount --rbind /dev "$r/dev"
mount --rbind /proc "$r/proc"
mount --rbind /sys "$r/sys"
mount --bind "$r/../hosts" "$r/etc/hosts"
mount --bind "$r/../hostname" "$r/etc/hostname"
hostname "$(cat "$r/../hostname")"
exec chroot "$r" /bin/sh -c 'echo ready; exec sleep infinity'`

export class Sandboxes {
  readonly mode: NetworkMode
  readonly fallbackReason?: string
  readonly bridgeIp?: string
  private readonly bridge?: string
  private readonly k?: number
  private readonly freeHosts: number[] = []
  private loopbackNext = 0
  private serial = 0
  private readonly live = new Set<Sandbox>()

  constructor(
    readonly id: string,
    private readonly loopbackOctet: number,
    requested: 'auto' | NetworkMode,
    private readonly extraReadOnly: string[] = [],
  ) {
    let mode: NetworkMode = requested === 'loopback' ? 'loopback' : 'netns'
    let why: string | undefined
    if (mode === 'netns') {
      why = process.getuid?.() !== 0 ? 'not running as root' : !Bun.which('ip') || !Bun.which('nsenter') || !Bun.which('unshare') ? 'iproute2 or util-linux is missing' : undefined
      if (!why) {
        try {
          const used = new Set<number>()
          for (const m of must(['ip', '-o', '-4', 'addr', 'show']).matchAll(/inet 10\.214\.(\d+)\./g)) used.add(Number(m[1]))
          const free = Array.from({ length: 250 }, (_, i) => i + 1).filter((k) => !used.has(k))
          if (!free.length) throw new Error('no free 10.214.x.0/24 subnet')
          this.k = free[Math.floor(Math.random() * free.length)]!
          this.bridge = `skk${id}br`
          this.bridgeIp = `10.214.${this.k}.254`
          must(['ip', '-batch', '-'], `link add ${this.bridge} type bridge\naddr add ${this.bridgeIp}/24 dev ${this.bridge}\nlink set ${this.bridge} up\n`)
          for (let h = 1; h < 254; h++) this.freeHosts.push(h)
        } catch (e) {
          why = `cannot create the pod network: ${(e as Error).message}`
          if (this.bridge) sh(['ip', 'link', 'del', this.bridge])
        }
      }
      if (why) {
        if (requested === 'netns') throw new Error(`k8s harness: netns mode unavailable: ${why}`)
        mode = 'loopback'
      }
    }
    this.mode = mode
    if (why) this.fallbackReason = why
  }

  /** Create the sandbox of one pod, rooted at `dir/root`. */
  async create(dir: string, hostname: string, env: Record<string, string>): Promise<Sandbox> {
    const root = join(dir, 'root')
    for (const d of ['tmp', 'root', 'home', 'var', 'run', 'opt']) mkdirSync(join(root, d), { recursive: true, mode: d === 'tmp' ? 0o1777 : 0o755 })
    const sb = this.mode === 'netns' ? await this.netns(dir, root, hostname, env) : this.loopback(root)
    this.live.add(sb)
    return sb
  }

  private loopback(root: string): Sandbox {
    const n = this.loopbackNext++
    const ip = `127.${this.loopbackOctet}.${1 + Math.floor(n / 250) % 199}.${1 + (n % 250)}`
    const sb: Sandbox = {
      ip,
      root,
      command: (argv, wd) => ({ argv, cwd: join(root, wd ?? ''), home: join(root, 'root') }),
      destroy: () => void this.live.delete(sb),
    }
    return sb
  }

  private async netns(dir: string, root: string, hostname: string, env: Record<string, string>): Promise<Sandbox> {
    const host = this.freeHosts.shift()
    if (host === undefined) throw new Error('pod network 10.214.x.0/24 has no free address')
    const n = ++this.serial
    const ns = `skk${this.id}-${n}`
    const [h, p] = [`skk${this.id}h${n}`, `skk${this.id}p${n}`]
    const ip = `10.214.${this.k}.${host}`
    for (const d of ['usr', 'etc', 'dev', 'proc', 'sys']) mkdirSync(join(root, d), { recursive: true })
    for (const l of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
      const hostPath = `/${l}`
      if (!existsSync(hostPath) || existsSync(join(root, l))) continue
      if (lstatSync(hostPath).isSymbolicLink()) symlinkSync(`usr/${l}`, join(root, l))
      else mkdirSync(join(root, l))
    }
    writeFileSync(join(dir, 'hosts'), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${ip}\t${hostname}\n`)
    writeFileSync(join(dir, 'hostname'), `${hostname}\n`)
    const destroy = () => {
      if (!this.live.delete(sb)) return
      sh(['ip', 'netns', 'del', ns])
      this.freeHosts.push(host)
    }
    const sb: Sandbox = { ip, root, netns: ns, command: () => ({ argv: [], cwd: '/', home: '/root' }), destroy }
    try {
      must(['ip', '-batch', '-'], `netns add ${ns}\nlink add ${h} type veth peer name ${p}\nlink set ${p} netns ${ns}\nlink set ${h} master ${this.bridge}\nlink set ${h} up\n`)
      must(['ip', '-n', ns, '-batch', '-'], `addr add ${ip}/24 dev ${p}\nlink set ${p} up\nlink set lo up\nroute add default via ${this.bridgeIp}\n`)
      const ro = [...READ_ONLY, ...this.extraReadOnly.filter((d) => existsSync(d))]
      for (const d of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) if (existsSync(d) && !lstatSync(d).isSymbolicLink()) ro.push(d)
      const pause = Bun.spawn(['nsenter', `--net=/run/netns/${ns}`, 'unshare', '--mount', '--uts', '--propagation', 'private', 'sh', '-c', PAUSE, 'pause', root, ...ro], {
        stdin: 'ignore',
        stdout: 'pipe',
        stderr: 'pipe',
        detached: true,
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
      })
      const reader = pause.stdout.getReader()
      const first = await Promise.race([reader.read(), pause.exited.then(() => undefined)])
      reader.releaseLock()
      if (!first || first.done) throw new Error(`pod sandbox did not start: ${(await new Response(pause.stderr).text()).trim()}`)
      const pid = pause.pid
      sb.command = (argv, wd) => ({ argv: ['nsenter', '-t', String(pid), '-n', '-m', '-u', '-r', `--wdns=${wd || '/'}`, '--', ...argv], cwd: '/', home: '/root' })
      sb.destroy = () => {
        try {
          process.kill(-pid, 'SIGKILL')
        } catch {}
        destroy()
      }
      return sb
    } catch (e) {
      destroy()
      throw e
    }
  }

  /** Remove every sandbox and the bridge (synchronous: also used from an exit hook). */
  destroyAll(): void {
    for (const sb of [...this.live]) sb.destroy()
    if (this.bridge) sh(['ip', 'link', 'del', this.bridge])
  }
}

/** Remove a pod directory (best effort: a chroot'ed pod may still hold it for a moment). */
export function removePodDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true })
  } catch {}
}
