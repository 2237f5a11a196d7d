// Look at an SSH host: can we log in, what it offers (CPUs, memory, NVIDIA GPUs), and which
// cluster (if any) holds it. Results are cached in $SKY_HOME/ssh_hosts.json for the optimizer.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { NodeCapacity } from '../../agent/types'
import { gpuNameFromDevice } from '../../catalog/accelerators'
import { paths } from '../../paths'
import type { CommandRunner } from '../../runner/types'

export interface HostFacts {
  home: string
  capacity: NodeCapacity
  /** Cluster holding this host (from its runtime dir), if any. */
  cluster: string | null
  probedAt: number
}

const PROBE = [
  'echo "home=$HOME"',
  'echo "cpus=$(nproc 2>/dev/null || echo 1)"',
  `echo "memkb=$(awk '/MemTotal/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)"`,
  'if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits 2>/dev/null | sed "s/^/gpu=/"; fi',
  `if [ -f "$HOME/.sky-runtime/cluster.json" ]; then echo "cluster=$(sed -n 's/.*"name" *: *"\\([^"]*\\)".*/\\1/p' "$HOME/.sky-runtime/cluster.json" | head -1)"; fi`,
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
  writeFileSync(cacheFile(), JSON.stringify(all, null, 1))
}
