// What the optimizer may use: infra enabled by `sky check` (remembered in the store, checked on
// first use) and the live nodes of this machine and of SSH node pools.
import { loadConfig } from '../config'
import { applyAllowLists, checkInfra, enabledInfraFromChecks } from '../infra/check'
import type { InfraCheck } from '../infra/check'
import type { EnabledInfra, LiveNode } from '../infra/types'
import { localCapacity } from '../provision/local'
import type { Store } from '../state/store'

const KEY = 'enabled_infra'

export async function rememberedChecks(store: Store): Promise<InfraCheck[]> {
  const saved = await store.kv.get<InfraCheck[]>(KEY)
  if (saved) return saved
  const checks = checkInfra({ config: loadConfig() })
  await store.kv.set(KEY, checks)
  return checks
}

export async function saveChecks(store: Store, fresh: InfraCheck[]): Promise<InfraCheck[]> {
  const old = (await store.kv.get<InfraCheck[]>(KEY)) ?? []
  const merged = [...old.filter((o) => !fresh.some((f) => f.infra === o.infra)), ...fresh]
  await store.kv.set(KEY, merged)
  return merged
}

export async function liveNodes(checks: InfraCheck[]): Promise<LiveNode[]> {
  const nodes: LiveNode[] = []
  const cap = localCapacity()
  nodes.push({ infra: 'local', region: 'local', name: 'localhost', cpus: cap.cpus, memoryGb: cap.memoryGb, ...(cap.gpus ? { gpus: cap.gpus } : {}) })
  if (checks.some((c) => c.infra === 'ssh' && c.enabled)) {
    const { sshLiveNodes } = await import('../provision/ssh/provisioner')
    nodes.push(...(await sshLiveNodes()))
  }
  return nodes
}

export async function optimizerContext(store: Store): Promise<{ enabled: EnabledInfra; liveNodes: LiveNode[]; checks: InfraCheck[] }> {
  const config = loadConfig()
  // This machine is always usable, whatever an older check said (unless allowed_clouds leaves it out).
  const remembered = await rememberedChecks(store)
  const withLocal = remembered.some((c) => c.infra === 'local' && c.enabled) ? remembered : [...remembered.filter((c) => c.infra !== 'local'), ...checkInfra({ only: ['local'] })]
  const checks = applyAllowLists(withLocal, config)
  const enabled = enabledInfraFromChecks(checks)
  return { enabled, liveNodes: await liveNodes(checks), checks }
}
