// How many worker threads each lane may use, from CPUs and memory (SkyPilot's formula, with
// thread-sized memory costs). Workers start on demand, so idle servers stay small.
import { availableParallelism, totalmem } from 'node:os'
import { configGet } from '../../core/config'

export interface LaneSizing {
  long: number
  short: number
  /** Concurrent requests one short-lane worker runs (they are I/O-light). */
  shortConcurrency: number
}

export function laneSizing(deploy: boolean): LaneSizing {
  const cpus = availableParallelism()
  const memGb = totalmem() / 2 ** 30
  const reserved = deploy ? 4 : 2
  const budget = Math.max(0, memGb - reserved)
  let long = Math.max(1, Math.min(2 * cpus, Math.floor((budget * 0.6) / 0.4)))
  // A local server bursts: launches are I/O-bound and should not queue behind each other.
  if (!deploy) long = Math.max(long, 8)
  const short = Math.max(1, Math.min(cpus, Math.floor((budget - long * 0.1) / 0.3)))
  return {
    long: Number(configGet('api_server.long_workers', long)),
    short: Number(configGet('api_server.short_workers', short)),
    shortConcurrency: 32,
  }
}
