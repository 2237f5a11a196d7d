// The pod network of netns mode: a bridge `skk<id>br` at 10.214.<k>.254/24 (k free on this
// machine), and per pod a network namespace `skk<id>-<n>` joined to it by a veth pair
// (`skk<id>h<n>` / `skk<id>p<n>`) with the pod IP 10.214.<k>.<host> and a default route via the
// bridge. `ip` runs asynchronously so the API server is never blocked while a namespace is made.
import { existsSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface PodNet {
  ns: string
  ip: string
  host: number
}

async function ip(args: string[], stdin?: string): Promise<void> {
  const p = Bun.spawn(['ip', ...args], { stdin: stdin === undefined ? 'ignore' : Buffer.from(stdin), stdout: 'ignore', stderr: 'pipe' })
  const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()])
  if (code !== 0) throw new Error(`ip ${args.join(' ')}: ${err.trim()}`)
}

function ipSync(args: string[], stdin?: string): { ok: boolean; out: string; err: string } {
  const r = Bun.spawnSync(['ip', ...args], { stdin: stdin === undefined ? 'ignore' : Buffer.from(stdin), stdout: 'pipe', stderr: 'pipe' })
  return { ok: r.exitCode === 0, out: r.stdout.toString(), err: r.stderr.toString().trim() }
}

export class PodNetwork {
  readonly bridge: string
  readonly bridgeIp: string
  private readonly k: number
  private readonly freeHosts: number[] = []
  private readonly namespaces = new Set<string>()
  private serial = 0

  /** Create the bridge (synchronously; throws when this machine cannot). */
  constructor(readonly id: string) {
    const used = new Set<number>()
    const addrs = ipSync(['-o', '-4', 'addr', 'show'])
    if (!addrs.ok) throw new Error(addrs.err)
    for (const m of addrs.out.matchAll(/inet 10\.214\.(\d+)\./g)) used.add(Number(m[1]))
    const free = Array.from({ length: 250 }, (_, i) => i + 1).filter((k) => !used.has(k))
    if (!free.length) throw new Error('no free 10.214.x.0/24 subnet')
    this.k = free[Math.floor(Math.random() * free.length)]!
    this.bridge = `skk${id}br`
    this.bridgeIp = `10.214.${this.k}.254`
    const r = ipSync(['-batch', '-'], `link add ${this.bridge} type bridge\naddr add ${this.bridgeIp}/24 dev ${this.bridge}\nlink set ${this.bridge} up\n`)
    if (!r.ok) {
      ipSync(['link', 'del', this.bridge])
      throw new Error(r.err)
    }
    for (let h = 1; h < 254; h++) this.freeHosts.push(h)
  }

  /** A new network namespace with its address and route. */
  async create(): Promise<PodNet> {
    const host = this.freeHosts.shift()
    if (host === undefined) throw new Error(`pod network 10.214.${this.k}.0/24 has no free address`)
    const n = ++this.serial
    const ns = `skk${this.id}-${n}`
    const [h, p] = [`skk${this.id}h${n}`, `skk${this.id}p${n}`]
    const addr = `10.214.${this.k}.${host}`
    this.namespaces.add(ns)
    try {
      await ip(['-batch', '-'], `netns add ${ns}\nlink add ${h} type veth peer name ${p}\nlink set ${p} netns ${ns}\nlink set ${h} master ${this.bridge}\nlink set ${h} up\n`)
      await ip(['-n', ns, '-batch', '-'], `addr add ${addr}/24 dev ${p}\nlink set ${p} up\nlink set lo up\nroute add default via ${this.bridgeIp}\n`)
      return { ns, ip: addr, host }
    } catch (e) {
      this.release({ ns, ip: addr, host })
      throw e
    }
  }

  /** Delete a pod's namespace (its veth goes with it) and reuse its address. */
  release(net: PodNet): void {
    const pids = Bun.spawn(['ip', 'netns', 'pids', net.ns], { stdout: 'pipe', stderr: 'ignore' })
    new Response(pids.stdout)
      .text()
      .then((out) => {
        for (const pid of out.split('\n').filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL')
          } catch {}
        }
        return ip(['netns', 'del', net.ns])
      })
      .catch(() => {})
      .finally(() => {
        this.namespaces.delete(net.ns)
        this.freeHosts.push(net.host)
      })
  }

  /** Delete every namespace and the bridge (synchronous: also used from an exit hook). */
  destroyAll(): void {
    for (const ns of this.namespaces) {
      for (const pid of ipSync(['netns', 'pids', ns]).out.split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL')
        } catch {}
      }
      ipSync(['netns', 'del', ns])
    }
    this.namespaces.clear()
    // A deleted namespace goes (with its veth pair) only once its last process has died; delete the
    // host ends now so nothing of this run is left when stop() returns.
    const hostEnds = new RegExp(`^\\d+: (skk${this.id}h\\d+)@`)
    for (const line of ipSync(['-o', 'link', 'show']).out.split('\n')) {
      const m = hostEnds.exec(line)
      if (m) ipSync(['link', 'del', m[1]!])
    }
    ipSync(['link', 'del', this.bridge])
  }
}

/** Host paths each netns-mode pod sees read-only at the same place. */
const READ_ONLY = ['/usr', '/etc']

// The pause process: private mount and UTS namespaces in the pod's network namespace; bind-mounts
// the read-only host paths, /dev, /proc and /sys into the pod root, its own /etc/hosts and
// /etc/hostname, sets the hostname, and chroots to the pod root to hold it all.
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

/**
 * Lay out a pod root (`dir/root`) and start its pause process; resolves with its pid once it holds
 * the namespaces. `dir/hosts` and `dir/hostname` are bind-mounted, so rewriting them in place
 * later (see personalize) changes what the pod sees.
 */
export async function startPause(net: PodNet, dir: string, root: string, hostname: string, env: Record<string, string>, extraReadOnly: string[]): Promise<number> {
  for (const d of ['usr', 'etc', 'dev', 'proc', 'sys']) mkdirSync(join(root, d), { recursive: true })
  const ro = [...READ_ONLY, ...extraReadOnly.filter((d) => existsSync(d))]
  for (const l of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const hostPath = `/${l}`
    if (!existsSync(hostPath) || existsSync(join(root, l))) continue
    if (lstatSync(hostPath).isSymbolicLink()) symlinkSync(`usr/${l}`, join(root, l))
    else ro.push(hostPath)
  }
  writeIdentity(dir, net, hostname)
  const pause = Bun.spawn(['nsenter', `--net=/run/netns/${net.ns}`, 'unshare', '--mount', '--uts', '--propagation', 'private', 'sh', '-c', PAUSE, 'pause', root, ...ro], {
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
  return pause.pid
}

function writeIdentity(dir: string, net: PodNet, hostname: string): void {
  writeFileSync(join(dir, 'hosts'), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${net.ip}\t${hostname}\n`)
  writeFileSync(join(dir, 'hostname'), `${hostname}\n`)
}

/** Give a prepared sandbox its pod's name: /etc/hosts, /etc/hostname and the UTS hostname. */
export async function personalize(dir: string, net: PodNet, pid: number, hostname: string): Promise<void> {
  writeIdentity(dir, net, hostname)
  const p = Bun.spawn(['nsenter', '-t', String(pid), '-u', 'hostname', hostname], { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' })
  if ((await p.exited) !== 0) throw new Error(`cannot set the pod hostname: ${(await new Response(p.stderr).text()).trim()}`)
}
