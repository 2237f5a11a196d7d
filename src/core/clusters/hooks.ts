// Lifecycle hooks (`config.hooks` in the task, and the older `resources.autostop.hook`): commands
// run on the head node before the cluster is stopped or torn down. They are kept on the cluster
// record; `sky stop` / `sky down` run them here (output into the request log), and autostop runs
// them on the node through the agent (they travel with the autostop setting).
import type { LifecycleHook } from '../agent/types'
import { shellQuote } from '../provision/agent-command'
import type { ClusterRecord } from '../state/clusters'
import type { Resources, Task } from '../task/types'
import { hooksScript } from '../agent/autostop'
import { provisionerFor } from '../provision/registry'
import { handleOf } from './record'

const DEFAULT_TIMEOUT = 3600
const ALL_EVENTS: LifecycleHook['events'] = ['stop', 'preemption', 'down']

/** The hooks a launch of `task` gives its cluster (config.hooks, then autostop.hook for stop and down). */
export function taskHooks(task: Task, request: Resources | undefined): LifecycleHook[] {
  const hooks: LifecycleHook[] = []
  const listed = (task.config?.hooks ?? []) as { run: string; events?: LifecycleHook['events']; timeout?: number }[]
  for (const h of listed) hooks.push({ run: h.run, events: h.events ?? ALL_EVENTS, timeout: h.timeout ?? DEFAULT_TIMEOUT })
  const a = request?.autostop
  if (a?.hook) hooks.push({ run: a.hook, events: ['stop', 'down'], timeout: a.hookTimeout ?? DEFAULT_TIMEOUT })
  return hooks
}

export function recordHooks(c: ClusterRecord): LifecycleHook[] {
  return (c.resources.hooks as LifecycleHook[] | undefined) ?? []
}

/** Run the cluster's hooks for `event` on its head node; a failing hook is reported, not fatal. */
export async function runHooks(c: ClusterRecord, event: 'stop' | 'down', log: (l: string) => void): Promise<void> {
  const script = hooksScript(recordHooks(c), event)
  if (!script || !c.handle) return
  const handle = handleOf(c)
  const p = await provisionerFor(handle.infra)
  const runner = p.runner(handle, 0)
  try {
    log(`⚙︎ Running lifecycle hooks (${event}) on ${c.name}.`)
    const r = await runner.run(`bash -c ${shellQuote(script)} 2>&1`, { onStdout: (s: string) => log(s.replace(/\n$/, '')) })
    if (r.code !== 0) log(`Lifecycle hooks exited ${r.code}; continuing with ${event}.`)
  } catch (e) {
    log(`Lifecycle hooks could not run (${(e as Error).message}); continuing with ${event}.`)
  } finally {
    await runner.close()
  }
}
