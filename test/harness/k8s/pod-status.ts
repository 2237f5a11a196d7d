// A running pod's bookkeeping and the PodStatus it reports: phase, conditions (with transition
// times kept while a condition does not change), containerStatuses and initContainerStatuses.
import type { ContainerLog } from './logs'
import type { Sandbox } from './sandbox'
import { now, type KubeObject } from './store'

interface Terminated {
  exitCode: number
  reason: string
  startedAt: string
  finishedAt: string
  containerID: string
}
export type ContainerState = { waiting: { reason: string; message?: string } } | { running: { startedAt: string } } | { terminated: Terminated }

export interface ContainerRun {
  name: string
  spec: Record<string, any>
  init: boolean
  restartCount: number
  state: ContainerState
  lastState: {} | { terminated: Terminated }
  env: Record<string, string>
  log?: ContainerLog
  previousLog?: string
  proc?: Bun.Subprocess
  backoff?: ReturnType<typeof setTimeout>
}

export interface PodRun {
  uid: string
  ns: string
  name: string
  dir: string
  sandbox?: Sandbox
  sandboxError?: string
  containers: Map<string, ContainerRun>
  init: ContainerRun[]
  execs: Set<Bun.Subprocess>
  stopping: boolean
  startTime: string
}

const isDone = (c: ContainerRun) => 'terminated' in c.state && c.state.terminated.exitCode === 0

function phaseOf(pod: KubeObject, run: PodRun): string {
  if (!run.sandbox) return 'Pending'
  const policy = pod.spec.restartPolicy ?? 'Always'
  if (run.init.some((c) => 'terminated' in c.state && c.state.terminated.exitCode !== 0) && policy === 'Never') return 'Failed'
  if (!run.init.every(isDone)) return 'Pending'
  const cs = [...run.containers.values()]
  if (cs.every((c) => 'terminated' in c.state)) return cs.every(isDone) ? 'Succeeded' : 'Failed'
  if (cs.some((c) => 'running' in c.state || c.restartCount > 0 || 'terminated' in c.state || c.backoff)) return 'Running'
  return 'Pending'
}

function containerStatus(pod: KubeObject, run: PodRun, c: ContainerRun): Record<string, unknown> {
  const running = 'running' in c.state
  return {
    name: c.name,
    state: c.state,
    lastState: c.lastState,
    ready: running && !c.init,
    restartCount: c.restartCount,
    image: c.spec.image,
    imageID: `sky-test/${c.spec.image}`,
    ...('waiting' in c.state ? {} : { containerID: `sky-test://${run.uid.slice(0, 8)}-${c.name}-${c.restartCount}` }),
    started: running,
  }
}

export function podStatus(pod: KubeObject, run: PodRun, hostIP: string): Record<string, unknown> {
  const phase = phaseOf(pod, run)
  const cs = [...run.containers.values()]
  const unready = cs.filter((c) => !('running' in c.state)).map((c) => c.name)
  const previous: Record<string, any>[] = pod.status?.conditions ?? []
  const at = now()
  const cond = (type: string, ok: boolean, reason?: string, message?: string) => {
    const status = ok ? 'True' : 'False'
    const before = previous.find((p) => p.type === type)
    return {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: before && before.status === status ? before.lastTransitionTime : at,
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
    }
  }
  const initDone = run.init.every(isDone)
  const ready = !unready.length
  const readyReason = phase === 'Succeeded' || phase === 'Failed' ? 'PodCompleted' : ready ? undefined : 'ContainersNotReady'
  const readyMessage = ready || readyReason === 'PodCompleted' ? undefined : `containers with unready status: [${unready.join(' ')}]`
  const initPending = run.init.filter((c) => !isDone(c)).map((c) => c.name)
  return {
    phase,
    conditions: [
      cond('PodReadyToStartContainers', !!run.sandbox),
      cond('Initialized', initDone, initDone ? undefined : 'ContainersNotInitialized', initDone ? undefined : `containers with incomplete status: [${initPending.join(' ')}]`),
      cond('Ready', ready && phase === 'Running', readyReason, readyMessage),
      cond('ContainersReady', ready && phase === 'Running', readyReason, readyMessage),
      cond('PodScheduled', true),
    ],
    hostIP,
    hostIPs: [{ ip: hostIP }],
    ...(run.sandbox ? { podIP: run.sandbox.ip, podIPs: [{ ip: run.sandbox.ip }] } : {}),
    startTime: run.startTime,
    ...(run.init.length ? { initContainerStatuses: run.init.map((c) => containerStatus(pod, run, c)) } : {}),
    containerStatuses: cs.map((c) => containerStatus(pod, run, c)),
    qosClass: pod.status?.qosClass ?? 'BestEffort',
  }
}
