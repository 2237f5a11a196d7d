// Every built-in request operation: name, lane, and whether it may be re-run after a crash.
// Handlers are in handlers.ts (loaded only inside worker threads).
import type { OpMeta } from './types'

const cluster = (b: Record<string, unknown>) => (typeof b.cluster_name === 'string' ? b.cluster_name : undefined)

export const builtinOps: OpMeta[] = [
  { name: 'sky.status', lane: 'short', idempotent: true },
]

export function opIndex(extra: OpMeta[] = []): Map<string, OpMeta> {
  const m = new Map<string, OpMeta>()
  for (const op of [...builtinOps, ...extra]) m.set(op.name, op)
  return m
}

export { cluster as clusterOfBody }
