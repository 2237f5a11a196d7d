// What the optimizer may use: infra enabled by `sky check` (remembered in the store, checked on
// first use) that this build can provision, and the live nodes (with what is still free) that
// each live infra's descriptor reports.
import { loadConfig } from '../config'
import { applyAllowLists, checkInfra, enabledInfraFromChecks } from '../infra/check'
import type { InfraCheck } from '../infra/check'
import type { EnabledInfra, LiveNode } from '../infra/types'
import { INFRA, descriptor, hasProvisioner } from '../provision/registry'
import { localInfraOff } from '../sandbox/users'
import type { Store } from '../state/store'

const KEY = 'enabled_infra'

export async function rememberedChecks(store: Store): Promise<InfraCheck[]> {
  const saved = await store.kv.get<InfraCheck[]>(KEY)
  if (saved) return saved
  const checks = await checkInfra({ config: loadConfig() })
  await store.kv.set(KEY, checks)
  return checks
}

/** The checks saved so far (none: []), without running any. */
export async function savedChecks(store: Store): Promise<InfraCheck[]> {
  return (await store.kv.get<InfraCheck[]>(KEY)) ?? []
}

export async function saveChecks(store: Store, fresh: InfraCheck[]): Promise<InfraCheck[]> {
  const old = (await store.kv.get<InfraCheck[]>(KEY)) ?? []
  const merged = [...old.filter((o) => !fresh.some((f) => f.infra === o.infra)), ...fresh]
  await store.kv.set(KEY, merged)
  return merged
}

export async function liveNodes(checks: InfraCheck[]): Promise<LiveNode[]> {
  const lists = await Promise.all(
    checks
      .filter((c) => c.enabled)
      .map(async (c) => {
        const d = descriptor(c.infra)
        if (!d?.liveNodes) return []
        try {
          return await d.liveNodes(c)
        } catch {
          return []
        }
      }),
  )
  return lists.flat()
}

export async function optimizerContext(store: Store): Promise<{ enabled: EnabledInfra; liveNodes: LiveNode[]; checks: InfraCheck[] }> {
  const config = loadConfig()
  let remembered = await rememberedChecks(store)
  // Infra a remembered check left out only because of the config (allowed_clouds), or did not know
  // of: checked again, so a config change takes effect at once.
  const again = INFRA.filter((d) => {
    const c = remembered.find((x) => x.infra === d.name)
    // This machine's check is free and follows the server's config (local.allow_on_deploy).
    return d.name === 'local' || !c || (!c.enabled && c.reason.startsWith('not in allowed_clouds'))
  }).map((d) => d.name)
  if (again.length) remembered = [...remembered.filter((c) => !again.includes(c.infra)), ...(await checkInfra({ only: again, config, validate: false }))]
  // A check saved by an older build may name infra this build cannot launch on.
  const localOff = localInfraOff()
  const checks = applyAllowLists(remembered, config).map((c) =>
    c.enabled && !hasProvisioner(c.infra)
      ? { ...c, enabled: false, reason: 'not supported by this build' }
      : // The server's policy for its own machine applies whatever an older check said.
        c.infra === 'local' && c.enabled && localOff
        ? { ...c, enabled: false, reason: localOff }
        : c,
  )
  return { enabled: enabledInfraFromChecks(checks), liveNodes: await liveNodes(checks), checks }
}
