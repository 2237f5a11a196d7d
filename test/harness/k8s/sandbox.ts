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
// A pod's network namespace and pause process take tens of milliseconds of kernel and exec time,
// so netns mode keeps two sandboxes prepared (root directory, namespace, pause process) and hands
// one to the next pod: its directory is renamed into place and its hostname set.
//
// Every name carries the run id, whose first five characters are the owner's pid in base 36, so
// leftovers of a crashed run are found and removed by the next run (never by a pattern).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { personalize, PodNetwork, startPause, type PodNet } from './netns'

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
export function taggedProcesses(): { pid: number; tag: string }[] {
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
  for (const name of readdirSync(tmpdir())) if (name.startsWith('skk') && ownerDead(name)) removePodDir(join(tmpdir(), name))
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

interface Prepared {
  dir: string
  net: PodNet
  pid: number
}

const POOL = 2

export class Sandboxes {
  readonly mode: NetworkMode
  readonly fallbackReason?: string
  private readonly network?: PodNetwork
  private loopbackNext = 0
  private readonly live = new Set<Sandbox>()
  private readonly pool: Promise<Prepared>[] = []
  private readonly prepared = new Set<Prepared>()
  private poolSerial = 0
  private closed = false

  constructor(
    readonly id: string,
    private readonly dir: string,
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
          this.network = new PodNetwork(id)
        } catch (e) {
          why = `cannot create the pod network: ${(e as Error).message}`
        }
      }
      if (why) {
        if (requested === 'netns') throw new Error(`k8s harness: netns mode unavailable: ${why}`)
        mode = 'loopback'
      }
    }
    this.mode = mode
    if (why) this.fallbackReason = why
    this.refill()
  }

  private refill(): void {
    while (this.network && !this.closed && this.pool.length < POOL) {
      const p = this.prepare(this.network)
      p.catch(() => {})
      this.pool.push(p)
    }
  }

  /** A sandbox ready for any pod: root directory, network namespace, pause process. */
  private async prepare(network: PodNetwork): Promise<Prepared> {
    const dir = join(this.dir, 'sandbox-pool', `p${++this.poolSerial}`)
    const stopped = () => new Error('the harness is stopping')
    makeRoot(join(dir, 'root'))
    let net: PodNet | undefined
    let pid: number | undefined
    try {
      net = await network.create()
      if (this.closed) throw stopped()
      pid = await startPause(net, dir, join(dir, 'root'), 'pending', runTagEnv(this.id, 'pool'), this.extraReadOnly)
      if (this.closed) throw stopped()
      const prepared = { dir, net, pid }
      this.prepared.add(prepared)
      return prepared
    } catch (e) {
      if (pid) killGroup(pid)
      if (net) network.release(net)
      // Stopping removed the harness directory; what this late sandbox made goes too.
      removePodDir(this.closed ? this.dir : dir)
      throw e
    }
  }

  /** Create the sandbox of one pod in `dir` (which must not exist yet), rooted at `dir/root`. */
  async create(dir: string, hostname: string): Promise<Sandbox> {
    const sb = this.network ? await this.netns(this.network, dir, hostname) : this.loopback(dir)
    this.live.add(sb)
    return sb
  }

  private loopback(dir: string): Sandbox {
    const root = join(dir, 'root')
    makeRoot(root)
    const n = this.loopbackNext++
    const ip = `127.${this.loopbackOctet}.${1 + (Math.floor(n / 250) % 199)}.${1 + (n % 250)}`
    const sb: Sandbox = {
      ip,
      root,
      command: (argv, wd) => ({ argv, cwd: join(root, wd ?? ''), home: join(root, 'root') }),
      destroy: () => void this.live.delete(sb),
    }
    return sb
  }

  private async netns(network: PodNetwork, dir: string, hostname: string): Promise<Sandbox> {
    const next = this.pool.shift() ?? this.prepare(network)
    this.refill()
    const p = await next.catch((e) => (this.closed ? Promise.reject(e) : this.prepare(network)))
    this.prepared.delete(p)
    const kill = () => {
      killGroup(p.pid)
      network.release(p.net)
    }
    try {
      renameSync(p.dir, dir)
      await personalize(dir, p.net, p.pid, hostname)
    } catch (e) {
      kill()
      throw e
    }
    const sb: Sandbox = {
      ip: p.net.ip,
      root: join(dir, 'root'),
      netns: p.net.ns,
      command: (argv, wd) => ({ argv: ['nsenter', '-t', String(p.pid), '-n', '-m', '-u', '-r', `--wdns=${wd || '/'}`, '--', ...argv], cwd: '/', home: '/root' }),
      destroy: () => {
        if (this.live.delete(sb)) kill()
      },
    }
    return sb
  }

  /** Remove every sandbox and the pod network (synchronous: also used from an exit hook). */
  destroyAll(): void {
    this.closed = true
    for (const sb of [...this.live]) sb.destroy()
    for (const p of this.prepared) killGroup(p.pid)
    this.prepared.clear()
    this.network?.destroyAll()
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {}
}

function makeRoot(root: string): void {
  for (const d of ['tmp', 'root', 'home', 'var', 'run', 'opt']) mkdirSync(join(root, d), { recursive: true, mode: d === 'tmp' ? 0o1777 : 0o755 })
}

/** Remove a pod directory (best effort: a chroot'ed pod may still hold it for a moment). */
export function removePodDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true })
  } catch {}
}
