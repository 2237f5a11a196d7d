// Orphan reconciliation for cloud VMs: instances this API server made (TAG_SERVER) for a cluster
// it has no record of — a record removed with `sky down --purge` while teardown failed, a state
// store lost or restored from a backup — are terminated. Rows whose instances are gone are the
// status refresh's business (clusters/refresh.ts). The cloud is listed before the records are
// read: a launch writes its record before it creates anything, so a cluster being launched right
// now always has one.
import { toSkyError } from '../../errors'
import type { Store } from '../../state/store'
import { nameOnCloud as makeNameOnCloud } from '../naming'
import { descriptor, provisionerFor } from '../registry'
import type { CloudVmProvisioner } from './provisioner'
import { releaseRef } from './release'

export interface ReconcileResult {
  infra: string
  terminated: string[]
  errors: string[]
}

export async function reconcileOrphans(store: Store, infras: string[], log: (l: string) => void = () => {}): Promise<ReconcileResult[]> {
  const out: ReconcileResult[] = []
  for (const infra of infras) {
    const res: ReconcileResult = { infra, terminated: [], errors: [] }
    out.push(res)
    try {
      if (!descriptor(infra)?.load) continue
      const p = (await provisionerFor(infra)) as Partial<CloudVmProvisioner>
      if (!p.tagged || !p.terminate) continue
      const tagged = await p.tagged()
      const rows = await store.clusters.list()
      const known = new Set(rows.map((c) => c.nameOnCloud ?? makeNameOnCloud(c.name, c.userId)))
      for (const t of tagged) {
        if (known.has(t.nameOnCloud)) continue
        log(`Terminating orphaned ${infra} instances of '${t.nameOnCloud}' in ${t.region} (no cluster record): ${t.instances.map((i) => i.id).join(', ')}`)
        try {
          await p.terminate(releaseRef(infra, t.region, t.nameOnCloud, t.instances.length, t.zone), { log })
          res.terminated.push(t.nameOnCloud)
        } catch (e) {
          res.errors.push(`${t.nameOnCloud}: ${toSkyError(e).message}`)
        }
      }
    } catch (e) {
      res.errors.push(toSkyError(e).message)
    }
  }
  return out
}
