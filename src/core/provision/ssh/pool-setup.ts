// `sky ssh up` / `sky ssh down`: check every host of the node pools, install (or remove) the sky
// runtime, and report per host.
import { NotFoundError, toSkyError } from '../../errors'
import { SshRunner } from '../../runner/ssh'
import { shellQuote } from '../agent-command'
import { loadSshPools } from './pools'
import { hostKey, probeHost, writeHostCache } from './probe'
import { installBinary } from '../runtime'

export interface HostReport {
  pool: string
  host: string
  ok: boolean
  detail: string
}

function selectPools(only?: string) {
  const pools = loadSshPools()
  if (only && !pools[only]) throw new NotFoundError(`SSH node pool '${only}' is not in ssh_node_pools.yaml (pools: ${Object.keys(pools).join(', ') || 'none'}).`)
  return Object.entries(pools).filter(([n]) => !only || n === only)
}

export async function sshUp(only: string | undefined, log: (l: string) => void): Promise<HostReport[]> {
  const out: HostReport[] = []
  for (const [pool, p] of selectPools(only)) {
    log(`⚙︎ Setting up SSH node pool '${pool}' (${p.hosts.length} host${p.hosts.length === 1 ? '' : 's'}).`)
    const reports = await Promise.all(
      p.hosts.map(async (h): Promise<HostReport> => {
        const r = new SshRunner({ ...h, connectTimeoutMs: 8000 })
        try {
          const f = await probeHost(r)
          await installBinary(r, f.home, log)
          writeHostCache(hostKey(pool, h), f)
          const gpus = f.capacity.gpus ? `, ${f.capacity.gpus.count}x ${f.capacity.gpus.name}` : ''
          return { pool, host: h.host, ok: true, detail: `${f.capacity.cpus} CPUs, ${f.capacity.memoryGb} GB${gpus}${f.cluster ? `; in use by cluster '${f.cluster}'` : ''}` }
        } catch (e) {
          return { pool, host: h.host, ok: false, detail: toSkyError(e).message }
        } finally {
          await r.close()
        }
      }),
    )
    reports.forEach((x, i) => log(`${i === reports.length - 1 ? '└──' : '├──'} ${x.ok ? '✓' : '✗'} ${x.host}: ${x.detail}`))
    out.push(...reports)
  }
  return out
}

export async function sshDown(only: string | undefined, log: (l: string) => void): Promise<HostReport[]> {
  const out: HostReport[] = []
  for (const [pool, p] of selectPools(only)) {
    log(`⚙︎ Removing the sky runtime from SSH node pool '${pool}'.`)
    for (const h of p.hosts) {
      const r = new SshRunner({ ...h, connectTimeoutMs: 8000 })
      try {
        const f = await probeHost(r)
        if (f.cluster) {
          out.push({ pool, host: h.host, ok: false, detail: `in use by cluster '${f.cluster}'; run sky down ${f.cluster} first` })
          continue
        }
        await r.run(`rm -rf ${shellQuote(`${f.home}/.sky-runtime`)}`)
        writeHostCache(hostKey(pool, h), null)
        out.push({ pool, host: h.host, ok: true, detail: 'runtime removed' })
      } catch (e) {
        out.push({ pool, host: h.host, ok: false, detail: toSkyError(e).message })
      } finally {
        await r.close()
      }
      const last = out[out.length - 1]!
      log(`${last.ok ? '✓' : '✗'} ${last.host}: ${last.detail}`)
    }
  }
  return out
}
