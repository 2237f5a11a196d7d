// `target_qps_per_replica` as a map from accelerator to QPS (`{"H100:1": 10, "A100": 5}`): which
// entry applies to a replica. A key with a count matches that exact count; a bare name matches
// any count. Names compare case-insensitively.

export type TargetQps = number | Record<string, number>

function split(acc: string): { name: string; count?: number } {
  const i = acc.lastIndexOf(':')
  if (i < 0) return { name: acc.toLowerCase() }
  const count = Number(acc.slice(i + 1))
  return Number.isFinite(count) ? { name: acc.slice(0, i).toLowerCase(), count } : { name: acc.toLowerCase() }
}

/** The target QPS for a replica with `accelerator` (e.g. `H100:1`), or undefined when none applies. */
export function targetQpsFor(target: TargetQps | undefined, accelerator: string | undefined): number | undefined {
  if (target === undefined) return undefined
  if (typeof target === 'number') return target
  if (!accelerator) return undefined
  const want = split(accelerator)
  let byName: number | undefined
  for (const [key, qps] of Object.entries(target)) {
    const k = split(key)
    if (k.name !== want.name) continue
    if (k.count === undefined) byName ??= qps
    else if (k.count === (want.count ?? 1)) return qps
  }
  return byName
}
