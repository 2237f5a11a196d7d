// Agent operations on a cluster's head node, through its provisioner's transport: install
// (`init` with cluster.json), health, restart after a death (supervision), and scoped calls.
// Kept apart from launch and lifecycle so neither imports the other.
import { provisionerFor } from '../provision/registry'
import type { AgentTransport, ClusterHandle, ClusterRef } from '../provision/types'
import { testSettings } from '../testing'

export interface AgentHealth {
  ok: boolean
  initialized: boolean
  version?: string
  cluster?: string | null
  daemon?: { alive: boolean; pid: number | null }
  jobs?: Record<string, number>
  autostop?: { idleMinutes?: number; down?: boolean; firedAt?: number | null; hookExitCode?: number | null }
}

/** Run `fn` with the head agent of `handle`, closing the transport after. */
export async function withAgent<T>(handle: ClusterHandle, fn: (a: AgentTransport) => Promise<T>): Promise<T> {
  const p = await provisionerFor(handle.infra)
  const a = p.agent(handle)
  try {
    return await fn(a)
  } finally {
    await a.close()
  }
}

/** Write cluster.json on the head and make sure its agent runs (idempotent). */
export async function installAgent(ref: ClusterRef & { handle: ClusterHandle }, signal?: AbortSignal): Promise<void> {
  const p = await provisionerFor(ref.handle.infra)
  // A test server shortens the autostop minute (src/core/testing.ts); nothing else can.
  const minute = testSettings().agent_minute_ms
  const spec = { ...p.clusterSpec(ref), ...(minute ? { autostopMinuteMs: minute } : {}) }
  await withAgent(ref.handle, (a) => a.call('init', [], spec, signal))
}

export async function agentHealth(handle: ClusterHandle, signal?: AbortSignal): Promise<AgentHealth> {
  return withAgent(handle, (a) => a.call<AgentHealth>('health', [], undefined, signal))
}

/**
 * The agent's health, asked `tries` times with a growing pause before giving up: one lost packet
 * or a busy node never flips a cluster's status.
 */
export async function agentHealthWithRetries(handle: ClusterHandle, tries = 3, firstPauseMs = 300): Promise<AgentHealth | null> {
  for (let i = 0, pause = firstPauseMs; i < tries; i++, pause *= 2) {
    try {
      return await agentHealth(handle)
    } catch {
      if (i < tries - 1) await Bun.sleep(pause)
    }
  }
  return null
}

/**
 * After `init` (which starts the daemon and returns), wait until the daemon has registered and
 * answers healthy, up to `timeoutMs`: a busy node takes a while to start a process, and a restart
 * that worked must not read as a failure.
 */
export async function agentReady(handle: ClusterHandle, timeoutMs = 15_000): Promise<AgentHealth | null> {
  const deadline = Date.now() + timeoutMs
  let last: AgentHealth | null = null
  for (let pause = 50; ; pause = Math.min(pause * 2, 1000)) {
    last = await agentHealth(handle).catch(() => null)
    if (last?.ok || Date.now() + pause > deadline) return last
    await Bun.sleep(pause)
  }
}

/** Stop every job and the agent on the head (before stop/down); best effort when the node is gone. */
export async function stopAllJobs(handle: ClusterHandle): Promise<void> {
  await withAgent(handle, (a) => a.call('stop-all')).catch(() => undefined)
}
