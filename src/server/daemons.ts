// Periodic server work. Status refresh doubles as the agents' watchdog: every UP or INIT cluster
// on infra this build provisions is refreshed (through a system-owned `sky.status` request in the
// SHORT lane) — the provider is asked about its nodes and the agent about its health, so autostop
// shows as STOPPED / gone without --refresh, a dead agent is restarted (its jobs re-adopted or
// failed with a reason), an INIT cluster recovers to UP, and an INIT row that no request will
// resume is cleaned up. It runs once right after start-up (after interrupted requests were
// re-queued) and then every `api_server.status_refresh_seconds` (default 30).
import { savedChecks } from '../core/clusters/enabled'
import { configGet } from '../core/config'
import { logger } from '../core/log'
import { descriptor, hasProvisioner } from '../core/provision/registry'
import type { Store } from '../core/state/store'
import type { RequestService } from './requests/service'

const log = logger('server')

export const SYSTEM_USER = { id: 'skypilot-system', name: 'skypilot-system', role: 'admin' }

export function startStatusRefresh(store: Store, svc: RequestService): () => void {
  const every = Number(configGet('api_server.status_refresh_seconds', 30)) * 1000
  let busy = false
  const tick = async () => {
    if (busy) return
    busy = true
    try {
      const rows = await store.db.all<{ name: string; infra: string; launched: string | null }>(`SELECT name, infra, launched FROM clusters WHERE status IN ('UP', 'INIT')`)
      const names = rows
        .filter((r) => {
          try {
            const infra = r.launched ? (JSON.parse(r.launched) as { infra: string }).infra : (JSON.parse(r.infra) as { cloud: string }).cloud
            return hasProvisioner(infra)
          } catch {
            return false
          }
        })
        .map((r) => r.name)
      if (names.length) await svc.submit('sky.status', { cluster_names: names, all_users: true, refresh: true }, SYSTEM_USER)
    } catch {
      // Next tick tries again.
    } finally {
      busy = false
    }
  }
  const first = setTimeout(() => void tick(), 1000)
  first.unref?.()
  const t = setInterval(() => void tick(), Math.max(every, 1000))
  t.unref?.()
  const stopOrphans = startOrphanReconcile(store)
  void warmRuntime(store)
  return () => {
    clearTimeout(first)
    clearInterval(t)
    stopOrphans()
  }
}

/**
 * Cloud instances this server made for clusters it has no record of are terminated (see
 * core/provision/cloud-vm/reconcile.ts): a minute after start-up, then every
 * `api_server.orphan_reconcile_minutes` (default 10; 0 turns it off), on enabled clouds only.
 */
export function startOrphanReconcile(store: Store): () => void {
  const minutes = Number(configGet('api_server.orphan_reconcile_minutes', 10))
  if (!(minutes > 0)) return () => {}
  let busy = false
  const run = async () => {
    if (busy) return
    busy = true
    try {
      const clouds = (await savedChecks(store)).filter((c) => c.enabled && descriptor(c.infra)?.kind === 'cloud' && hasProvisioner(c.infra)).map((c) => c.infra)
      if (!clouds.length) return
      const { reconcileOrphans } = await import('../core/provision/cloud-vm/reconcile')
      await reconcileOrphans(store, clouds, (l) => log.info(l))
    } catch {
      // Next round tries again.
    } finally {
      busy = false
    }
  }
  const first = setTimeout(() => void run(), 60_000)
  first.unref?.()
  const t = setInterval(() => void run(), minutes * 60_000)
  t.unref?.()
  return () => {
    clearTimeout(first)
    clearInterval(t)
  }
}

/**
 * Compress this binary for remote nodes (cloud VMs, pods) in the background at start-up when such
 * an infra is enabled, so the first launch after an upgrade does not wait for it.
 */
async function warmRuntime(store: Store): Promise<void> {
  try {
    const remote = (await savedChecks(store)).some((c) => c.enabled && c.infra !== 'local' && hasProvisioner(c.infra))
    if (!remote) return
    const { binaryForRemote } = await import('../core/provision/agent-command')
    const { buildStamp, compressedBinary } = await import('../core/provision/runtime')
    const bin = binaryForRemote()
    if (bin) await compressedBinary(bin, buildStamp(bin))
  } catch {
    // A launch makes it when it needs it.
  }
}
