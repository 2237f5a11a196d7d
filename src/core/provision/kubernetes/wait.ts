// Waiting for a cluster's pods to run, from a watch on their label (a list first, then events;
// a broken watch falls back to polling). What ends the wait early:
//   - the scheduler says `Insufficient <resource>` and no autoscaler is configured: no node will
//     appear, so this context cannot hold the pod now → CapacityError at once (seconds, not the
//     10 minutes a user would otherwise sit through);
//   - any other unschedulable reason (taints, affinity, cordoned nodes, or Insufficient with an
//     autoscaler that may add a node) → CapacityError once `provision_timeout` has passed;
//   - the image cannot be pulled or the container cannot be created → FatalProvisionError (another
//     context would fail the same way); the container exiting → FatalProvisionError with its log tail;
//   - a pod deleted while waiting → CapacityError.
// Image pulls on a scheduled pod may take minutes; they are waited for up to PULL_TIMEOUT_MS.
import { CancelledError } from '../../errors'
import { CapacityError, FatalProvisionError } from '../errors'
import type { KubeClient, WatchEvent } from './api'

const PULL_TIMEOUT_MS = 15 * 60_000
const FATAL_WAITING = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError'])

export interface PodObject {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string; creationTimestamp?: string }
  spec?: { nodeName?: string; containers?: { name: string; image?: string }[] }
  status?: {
    phase?: string
    podIP?: string
    hostIP?: string
    reason?: string
    message?: string
    conditions?: { type: string; status: string; reason?: string; message?: string }[]
    containerStatuses?: { name: string; state?: { waiting?: { reason?: string; message?: string }; terminated?: { exitCode?: number; reason?: string; message?: string } } }[]
  }
}

export interface WaitOptions {
  context: string
  namespace: string
  names: string[]
  selector: string
  /** Seconds an unscheduled pod may wait; -1 = no limit. */
  timeoutS: number
  autoscaler: string | null
  signal?: AbortSignal
  log?: (line: string) => void
}

type Verdict = { done: true } | { done: false; unscheduled?: string; error?: Error }

function judge(pods: Map<string, PodObject>, o: WaitOptions): Verdict {
  let unscheduled: string | undefined
  let running = 0
  const where = `Kubernetes context '${o.context}'`
  for (const name of o.names) {
    const p = pods.get(name)
    if (!p || p.metadata.deletionTimestamp) return { done: false, error: new CapacityError(`${where}: pod ${name} was deleted while starting.`, { infra: 'kubernetes', region: o.context, scope: 'region' }) }
    const st = p.status ?? {}
    if (st.phase === 'Running' && st.podIP) {
      running++
      continue
    }
    if (st.phase === 'Failed' || st.phase === 'Succeeded') {
      const t = st.containerStatuses?.[0]?.state?.terminated
      return { done: false, error: new FatalProvisionError(`${where}: pod ${name} stopped (${t?.reason ?? st.reason ?? st.phase}${t?.exitCode !== undefined ? `, exit ${t.exitCode}` : ''})${t?.message ? `: ${t.message}` : ''}.`, { infra: 'kubernetes', region: o.context, hint: 'The image needs /bin/sh; check resources.image_id and kubernetes.pod_config.' }) }
    }
    for (const cs of st.containerStatuses ?? []) {
      const w = cs.state?.waiting
      if (w?.reason && FATAL_WAITING.has(w.reason)) {
        const image = p.spec?.containers?.find((c) => c.name === cs.name)?.image
        return { done: false, error: new FatalProvisionError(`${where}: pod ${name} cannot start: ${w.reason}${w.message ? `: ${w.message}` : ''}.`, { infra: 'kubernetes', region: o.context, hint: image ? `Check the image '${image}' (resources.image_id: docker:<image>).` : undefined }) }
      }
    }
    const cond = st.conditions?.find((c) => c.type === 'PodScheduled')
    if (cond?.status === 'False' && cond.reason === 'Unschedulable') {
      const msg = cond.message ?? 'no node fits the pod'
      if (/Insufficient /.test(msg) && !o.autoscaler) {
        return { done: false, error: new CapacityError(`${where} cannot fit pod ${name}: ${msg}`, { infra: 'kubernetes', region: o.context, scope: 'region', hint: 'With a cluster autoscaler, set kubernetes.autoscaler so sky waits for new nodes (up to kubernetes.provision_timeout).' }) }
      }
      unscheduled = `pod ${name}: ${msg}`
    }
  }
  return running === o.names.length ? { done: true } : { done: false, unscheduled }
}

/** Wait until every named pod runs with an IP; returns the pods. */
export async function waitForPods(c: KubeClient, o: WaitOptions): Promise<Map<string, PodObject>> {
  const pods = new Map<string, PodObject>()
  const started = Date.now()
  let unscheduledSince: number | null = null
  let wake = () => {}
  const stop = new AbortController()
  const onAbort = () => {
    stop.abort()
    wake()
  }
  o.signal?.addEventListener('abort', onAbort, { once: true })
  const path = `/api/v1/namespaces/${o.namespace}/pods`
  const relist = async () => {
    const list = await c.request<{ items: PodObject[]; metadata?: { resourceVersion?: string } }>('GET', path, { query: { labelSelector: o.selector }, signal: o.signal })
    pods.clear()
    for (const p of list.items) pods.set(p.metadata.name, p)
    return list.metadata?.resourceVersion
  }
  let watching = false
  let watchedAt = 0
  const watch = async (rv: string | undefined) => {
    watching = true
    watchedAt = Date.now()
    try {
      await c.watch(path, { labelSelector: o.selector, resourceVersion: rv, allowWatchBookmarks: true }, (e: WatchEvent) => {
        const p = e.object as unknown as PodObject
        if (e.type === 'ADDED' || e.type === 'MODIFIED') pods.set(p.metadata.name, p)
        else if (e.type === 'DELETED') pods.delete(p.metadata.name)
        else if (e.type === 'ERROR') return
        wake()
      }, stop.signal)
    } catch {}
    watching = false
    wake()
  }
  try {
    void watch(await relist())
    for (;;) {
      if (o.signal?.aborted) throw new CancelledError('Request was cancelled.')
      const v = judge(pods, o)
      if (v.done) return pods
      if (v.error) throw v.error
      const now = Date.now()
      if (v.unscheduled) {
        unscheduledSince ??= now
        if (o.timeoutS >= 0 && now - unscheduledSince >= o.timeoutS * 1000) {
          throw new CapacityError(`Kubernetes context '${o.context}': ${v.unscheduled} (still unscheduled after kubernetes.provision_timeout=${o.timeoutS}s)`, { infra: 'kubernetes', region: o.context, scope: 'region' })
        }
      } else unscheduledSince = null
      if (now - started > PULL_TIMEOUT_MS) throw new CapacityError(`Kubernetes context '${o.context}': pods did not start within ${PULL_TIMEOUT_MS / 60_000} minutes.`, { infra: 'kubernetes', region: o.context, scope: 'region' })
      const left = unscheduledSince !== null && o.timeoutS >= 0 ? Math.max(10, unscheduledSince + o.timeoutS * 1000 - now) : 1000
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, watching ? 5000 : 500))
        wake = () => {
          clearTimeout(t)
          resolve()
        }
      })
      if (!watching) {
        // A watch that ended is started again, but not more than every 2 s (it may keep failing).
        const rv = await relist()
        if (Date.now() - watchedAt > 2000) void watch(rv)
      }
    }
  } finally {
    stop.abort()
    o.signal?.removeEventListener('abort', onAbort)
  }
}
