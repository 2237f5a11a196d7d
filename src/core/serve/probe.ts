// Readiness probes. `probeOnce` makes one real HTTP request to a replica (GET, or POST with
// `post_data`; custom headers; a timeout); a 200 is ready. `ReadinessTracker` turns the stream of
// results into the replica's status with SkyPilot's rules, on a clock it is given:
//   STARTING --200--> READY; failing past `initial_delay_seconds` before any 200 ⇒ FAILED_INITIAL_DELAY
//   READY --fail--> NOT_READY --200--> READY; failing for longer than
//   `consecutive_failure_threshold_timeout` after having been ready ⇒ FAILED_PROBING.
// `ReplicaProber` puts the two together; the controller calls `step()` every interval.
import type { ReadinessProbeSpec } from './spec'
import type { ReplicaStatus } from './status'

export interface ProbeResult {
  ok: boolean
  status?: number
  error?: string
  /** Round-trip milliseconds. */
  ms: number
}

/** One probe of `baseUrl` (e.g. http://10.0.0.2:8080). Never throws. */
export async function probeOnce(baseUrl: string, spec: ReadinessProbeSpec, signal?: AbortSignal): Promise<ProbeResult> {
  const started = performance.now()
  const url = baseUrl.replace(/\/+$/, '') + spec.path
  const post = spec.postData !== undefined
  const headers: Record<string, string> = { ...(post ? { 'content-type': 'application/json' } : {}), ...spec.headers }
  const timeout = AbortSignal.timeout(Math.max(1, spec.timeoutSeconds * 1000))
  try {
    const res = await fetch(url, {
      method: post ? 'POST' : 'GET',
      headers,
      ...(post ? { body: JSON.stringify(spec.postData) } : {}),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      redirect: 'manual',
    })
    await res.arrayBuffer().catch(() => undefined)
    const ms = performance.now() - started
    return res.status === 200 ? { ok: true, status: 200, ms } : { ok: false, status: res.status, error: `HTTP ${res.status}`, ms }
  } catch (e) {
    const err = e as Error
    const timedOut = timeout.aborted
    return { ok: false, error: timedOut ? `no answer within ${spec.timeoutSeconds}s` : err.message, ms: performance.now() - started }
  }
}

export type ProbedStatus = Extract<ReplicaStatus, 'STARTING' | 'READY' | 'NOT_READY' | 'FAILED_INITIAL_DELAY' | 'FAILED_PROBING'>

export class ReadinessTracker {
  status: ProbedStatus = 'STARTING'
  /** When the replica first answered 200 (epoch ms). */
  firstReadyAt: number | undefined
  lastSuccessAt: number | undefined
  /** Start of the current run of failures after having been ready. */
  failingSince: number | undefined
  lastError: string | undefined

  constructor(
    private readonly spec: Pick<ReadinessProbeSpec, 'initialDelaySeconds' | 'failureThresholdSeconds'>,
    /** When the replica's process started (epoch ms): the initial delay counts from here. */
    readonly startedAt: number,
  ) {}

  get terminal(): boolean {
    return this.status === 'FAILED_INITIAL_DELAY' || this.status === 'FAILED_PROBING'
  }

  /** Feed one probe result taken at `at`; returns the (possibly new) status. */
  observe(result: Pick<ProbeResult, 'ok' | 'error'>, at: number): ProbedStatus {
    if (this.terminal) return this.status
    if (result.ok) {
      this.lastSuccessAt = at
      this.firstReadyAt ??= at
      this.failingSince = undefined
      this.lastError = undefined
      this.status = 'READY'
      return this.status
    }
    this.lastError = result.error
    if (this.firstReadyAt === undefined) {
      if (at - this.startedAt > this.spec.initialDelaySeconds * 1000) this.status = 'FAILED_INITIAL_DELAY'
      return this.status
    }
    this.failingSince ??= at
    this.status = at - this.failingSince > this.spec.failureThresholdSeconds * 1000 ? 'FAILED_PROBING' : 'NOT_READY'
    return this.status
  }
}

export interface ProbeStep {
  status: ProbedStatus
  changed: boolean
  result: ProbeResult
}

/** Probes one replica and tracks its status; `now` is injectable (epoch ms). */
export class ReplicaProber {
  readonly tracker: ReadinessTracker

  constructor(
    readonly baseUrl: string,
    private readonly spec: ReadinessProbeSpec,
    private readonly now: () => number = Date.now,
    startedAt?: number,
  ) {
    this.tracker = new ReadinessTracker(spec, startedAt ?? now())
  }

  get status(): ProbedStatus {
    return this.tracker.status
  }

  async step(signal?: AbortSignal): Promise<ProbeStep> {
    const before = this.tracker.status
    const result = await probeOnce(this.baseUrl, this.spec, signal)
    const status = this.tracker.observe(result, this.now())
    return { status, changed: status !== before, result }
  }
}
