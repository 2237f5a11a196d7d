// Look at an SSH host: can we log in, what it offers (CPUs, memory, NVIDIA GPUs), and which
// cluster (if any) holds it — `~/.sky-runtime/owner`, claimed atomically at provision time.
// Results are cached in $SKY_HOME/ssh_hosts.json for the optimizer.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { NodeCapacity } from '../../agent/types'
import { gpuNameFromDevice } from '../../catalog/accelerators'
import { paths } from '../../paths'
import { SshRunner } from '../../runner/ssh'
import type { CommandRunner } from '../../runner/types'
import type { SshPoolHost } from './pools'

export const RUNTIME = '.sky-runtime'

export interface HostFacts {
  home: string
  capacity: NodeCapacity
  /** Name on cloud of the cluster holding this host, if any. */
  cluster: string | null
  probedAt: number
  /** Set when the last attempt to reach the host failed (then the other facts are older). */
  unreachableAt?: number
}

const PROBE = [
  'echo "home=$HOME"',
  'echo "cpus=$(nproc 2>/dev/null || echo 1)"',
  `echo "memkb=$(awk '/MemTotal/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)"`,
  'if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits 2>/dev/null | sed "s/^/gpu=/"; fi',
  `if [ -f "$HOME/${RUNTIME}/owner" ]; then echo "cluster=$(head -1 "$HOME/${RUNTIME}/owner")"; fi`,
].join('; ')

export async function probeHost(r: CommandRunner, signal?: AbortSignal): Promise<HostFacts> {
  const out = await r.run(PROBE, { signal, timeoutMs: 20_000 })
  if (out.code !== 0) throw new Error(`probe failed (exit ${out.code}): ${out.stderr.trim().slice(-300)}`)
  const kv = (k: string) => out.stdout.split('\n').filter((l) => l.startsWith(`${k}=`)).map((l) => l.slice(k.length + 1).trim())
  const gpus = kv('gpu').map((l) => {
    const [name, mem] = l.split(',').map((s) => s.trim())
    return gpuNameFromDevice(name ?? '', mem ? Number(mem) : undefined)
  })
  const gpuName = gpus[0]
  return {
    home: kv('home')[0] || '~',
    capacity: {
      cpus: Number(kv('cpus')[0] ?? 1),
      memoryGb: Math.round((Number(kv('memkb')[0] ?? 0) / 1024 / 1024) * 10) / 10,
      gpus: gpuName ? { name: gpuName, count: gpus.filter((g) => g === gpuName).length } : null,
    },
    cluster: kv('cluster')[0] || null,
    probedAt: Date.now(),
  }
}

export const hostKey = (pool: string, h: SshPoolHost) => `${pool}/${h.user}@${h.host}:${h.port}`

/** The optimizer's (and the cluster's) name for a host: its address, with the port unless 22. */
export const hostId = (h: Pick<SshPoolHost, 'host' | 'port'>) => (h.port === 22 ? h.host : `${h.host}:${h.port}`)

export function runnerOf(h: SshPoolHost, connectTimeoutMs = 8000): SshRunner {
  return new SshRunner({ ...h, connectTimeoutMs, label: `${h.user}@${h.host}:${h.port}` })
}

/** Probe a pool host and cache what was found (or that it did not answer). */
export async function probeAndCache(pool: string, h: SshPoolHost, o: { connectTimeoutMs?: number; signal?: AbortSignal } = {}): Promise<HostFacts> {
  const r = runnerOf(h, o.connectTimeoutMs)
  try {
    const facts = await probeHost(r, o.signal)
    writeHostCache(hostKey(pool, h), facts)
    return facts
  } catch (e) {
    const prev = readHostCache()[hostKey(pool, h)]
    if (prev) writeHostCache(hostKey(pool, h), { ...prev, unreachableAt: Date.now() })
    throw e
  } finally {
    await r.close()
  }
}

const cacheFile = () => join(paths.home(), 'ssh_hosts.json')

export function readHostCache(): Record<string, HostFacts> {
  try {
    return existsSync(cacheFile()) ? JSON.parse(readFileSync(cacheFile(), 'utf8')) : {}
  } catch {
    return {}
  }
}

export function writeHostCache(key: string, facts: HostFacts | null): void {
  const all = readHostCache()
  if (facts) all[key] = facts
  else delete all[key]
  mkdirSync(dirname(cacheFile()), { recursive: true })
  const tmp = `${cacheFile()}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  writeFileSync(tmp, JSON.stringify(all, null, 1))
  renameSync(tmp, cacheFile())
}
