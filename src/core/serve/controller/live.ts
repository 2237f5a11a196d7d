// What the service controller keeps in memory per service while it owns it: the autoscaler
// (its counters are persisted on the service row after every decision and restored from it),
// the replica launches and teardowns running in the background (each wakes the service when it
// ends), the parsed spec of each version, and where the request counts were last read.
import { makeAutoscaler, type RequestRateAutoscaler } from '../autoscalers'
import { parseDag } from '../../task/dag-parse'
import { serviceSpecFromTask, type ServiceSpec } from '../spec'
import type { ServiceRecord, ServiceVersion } from '../types'

export interface LiveService {
  autoscaler: RequestRateAutoscaler | undefined
  /** The version the autoscaler was last told about. */
  autoscalerVersion: number
  /** replica id → what runs for it in the background (launch or teardown). */
  inflight: Map<number, { kind: 'launch' | 'teardown'; done: Promise<void> }>
  specs: Map<number, ServiceSpec>
  nextDecisionAt: number
  statsSince: number
  /** The load balancer state last written (JSON), to write only changes. */
  lbWritten: string
  /** replica id → no launch attempt before this (epoch ms): the infra that fits was busy. */
  notBefore: Map<number, number>
  /** Aborts the background work (the service is shutting down, or no longer owned here). */
  abort: AbortController
}

const live = new Map<string, LiveService>()

export function liveOf(name: string): LiveService {
  let l = live.get(name)
  if (!l) {
    l = { autoscaler: undefined, autoscalerVersion: 0, inflight: new Map(), specs: new Map(), nextDecisionAt: 0, statsSince: Date.now(), lbWritten: '', notBefore: new Map(), abort: new AbortController() }
    live.set(name, l)
  }
  return l
}

export function forgetLive(name: string): void {
  live.get(name)?.abort.abort()
  live.delete(name)
}

export function specOf(l: LiveService, v: ServiceVersion): ServiceSpec {
  let s = l.specs.get(v.version)
  if (!s) l.specs.set(v.version, (s = serviceSpecFromTask(parseDag(v.taskYaml).tasks[0]!)))
  return s
}

/** The autoscaler for the service's current version (made, restored or told of a new version). */
export function autoscalerOf(l: LiveService, svc: ServiceRecord, current: ServiceVersion): RequestRateAutoscaler {
  const spec = specOf(l, current).replicaPolicy
  if (!l.autoscaler) {
    l.autoscaler = makeAutoscaler(spec, { latestVersion: current.version, mode: current.mode })
    if (svc.autoscaler) l.autoscaler.restore(svc.autoscaler)
    l.autoscalerVersion = svc.autoscaler?.latestVersion ?? current.version
  }
  if (l.autoscalerVersion !== current.version) {
    l.autoscaler.updateVersion(current.version, spec, current.mode)
    l.autoscalerVersion = current.version
    l.nextDecisionAt = 0
  }
  return l.autoscaler
}
