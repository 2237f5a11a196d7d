// Replica networks as root: a named network namespace per replica (`ip netns`), joined to this
// machine by a veth pair on its own /30 out of 10.247.0.0/16. The replica's port is reachable from
// the load balancer at the namespace's address; the namespace's default route points back at the
// host end. Names carry the caller's per-run tag so leftovers can be found and removed.
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { acquireLock } from '../../../lib/lock'

export const SUBNET_PREFIX = '10.247'
const MAX_SLOTS = 16384 // /30s in a /16

export interface RootNetwork {
  mode: 'netns'
  /** Namespace name: `sky-<tag>-r<replicaId>`. */
  name: string
  /** Host end of the veth pair. */
  hostIf: string
  /** The namespace's address: where the replica's port is reached. */
  address: string
  hostAddress: string
}

export function sh(args: string[], allowFail = false): string {
  const r = Bun.spawnSync(args, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0 && !allowFail) throw new Error(`${args.join(' ')} failed (${r.exitCode}): ${r.stderr.toString().trim()}`)
  return r.stdout.toString()
}

export function rootNames(tag: string, replicaId: number): { name: string; hostIf: string } {
  if (!/^[a-z0-9]{1,7}$/.test(tag)) throw new Error(`network tag must be 1-7 lower-case letters or digits, got '${tag}'`)
  if (!Number.isInteger(replicaId) || replicaId < 0 || replicaId > 99999) throw new Error(`replica id out of range: ${replicaId}`)
  // Interface names are limited to 15 bytes: "sk" + tag (≤7) + "-" + id (≤5).
  return { name: `sky-${tag}-r${replicaId}`, hostIf: `sk${tag}-${replicaId}` }
}

function slotAddresses(k: number): { host: string; ns: string } {
  const third = Math.floor(k / 64)
  const base = (k % 64) * 4
  return { host: `${SUBNET_PREFIX}.${third}.${base + 1}`, ns: `${SUBNET_PREFIX}.${third}.${base + 2}` }
}

function usedSlots(): Set<number> {
  const used = new Set<number>()
  const re = new RegExp(`inet ${SUBNET_PREFIX.replace('.', '\\.')}\\.(\\d+)\\.(\\d+)/30`, 'g')
  for (const m of sh(['ip', '-o', '-4', 'addr', 'show']).matchAll(re)) used.add(Number(m[1]) * 64 + Math.floor(Number(m[2]) / 4))
  return used
}

export async function createRootNetwork(tag: string, replicaId: number): Promise<RootNetwork> {
  const { name, hostIf } = rootNames(tag, replicaId)
  // Address choice and creation under one machine-wide lock, so two services starting replicas
  // at once never take the same /30.
  const release = await acquireLock(join(tmpdir(), 'sky-serve-netns.lock'), 30_000)
  if (!release) throw new Error('timed out waiting for the replica network lock')
  try {
    destroyRootNetwork(tag, replicaId) // a leftover of the same name from a crashed run
    const used = usedSlots()
    let k = 0
    while (used.has(k) && k < MAX_SLOTS) k++
    if (k >= MAX_SLOTS) throw new Error(`no free /30 left in ${SUBNET_PREFIX}.0.0/16 for replica networks`)
    const { host, ns } = slotAddresses(k)
    sh(['ip', 'netns', 'add', name])
    try {
      sh(['ip', 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name])
      sh(['ip', 'addr', 'add', `${host}/30`, 'dev', hostIf])
      sh(['ip', 'link', 'set', hostIf, 'up'])
      sh(['ip', '-n', name, 'addr', 'add', `${ns}/30`, 'dev', 'eth0'])
      sh(['ip', '-n', name, 'link', 'set', 'eth0', 'up'])
      sh(['ip', '-n', name, 'link', 'set', 'lo', 'up'])
      sh(['ip', '-n', name, 'route', 'add', 'default', 'via', host])
    } catch (e) {
      destroyRootNetwork(tag, replicaId)
      throw e
    }
    return { mode: 'netns', name, hostIf, address: ns, hostAddress: host }
  } finally {
    release()
  }
}

/** argv that runs `argv` inside the namespace. */
export function rootWrap(name: string, argv: string[]): string[] {
  return ['ip', 'netns', 'exec', name, ...argv]
}

/** Kill what runs in the namespace, delete it and its veth pair. Safe to call twice. */
export function destroyRootNetwork(tag: string, replicaId: number): void {
  const { name, hostIf } = rootNames(tag, replicaId)
  const pids = sh(['ip', 'netns', 'pids', name], true).split('\n').filter(Boolean).map(Number)
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  sh(['ip', 'netns', 'del', name], true)
  sh(['ip', 'link', 'del', hostIf], true)
}

/** Replica namespaces left under `tag` (e.g. after a crash), as replica ids. */
export function listRootNetworks(tag: string): number[] {
  const re = new RegExp(`^sky-${tag}-r(\\d+)(?:\\s|$)`)
  return sh(['ip', 'netns', 'list'], true)
    .split('\n')
    .map((l) => re.exec(l)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number)
}
