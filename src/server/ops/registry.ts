// Every built-in request operation: name, lane, and whether it may be re-run after a crash.
// Handlers are in handlers.ts (loaded only inside worker threads).
import { JOBS_OPS } from './jobs'
import type { OpMeta } from './types'

const cluster = (b: Record<string, unknown>) => (typeof b.cluster_name === 'string' ? b.cluster_name : undefined)

export const builtinOps: OpMeta[] = [
  { name: 'sky.status', lane: 'short', idempotent: true },
  { name: 'sky.launch', lane: 'long', idempotent: true, cluster },
  // Safe to re-run: the job it submits carries the request id, which the agent deduplicates.
  { name: 'sky.exec', lane: 'long', idempotent: true, cluster },
  // Stop, down and start can take minutes on a real provider.
  { name: 'sky.start', lane: 'long', idempotent: true, cluster },
  { name: 'sky.stop', lane: 'long', idempotent: true, cluster },
  { name: 'sky.down', lane: 'long', idempotent: true, cluster },
  { name: 'sky.autostop', lane: 'short', idempotent: true, cluster },
  { name: 'sky.queue', lane: 'short', idempotent: true, cluster },
  { name: 'sky.cancel', lane: 'short', idempotent: true, cluster },
  // Following a log is only useful while someone reads it: ends when its stream's client goes.
  { name: 'sky.logs', lane: 'short', idempotent: true, cluster, cancelOnDisconnect: true },
  { name: 'sky.job_status', lane: 'short', idempotent: true, cluster },
  { name: 'sky.optimize', lane: 'short', idempotent: true },
  { name: 'sky.check', lane: 'short', idempotent: true },
  { name: 'sky.gpus', lane: 'short', idempotent: true },
  { name: 'sky.ssh_up', lane: 'long', idempotent: true },
  { name: 'sky.ssh_down', lane: 'long', idempotent: true },
]

export function opIndex(extra: OpMeta[] = []): Map<string, OpMeta> {
  const m = new Map<string, OpMeta>()
  const jobs = JOBS_OPS.map(({ name, lane, idempotent }) => ({ name, lane, idempotent }))
  for (const op of [...builtinOps, ...jobs, ...extra]) m.set(op.name, op)
  return m
}
