// Shape checks for the `service:` (SkyServe), `pool:` and `config:` sections. The service and
// pool sections are validated by the serve module (src/core/serve/spec-check.ts) and carried as
// plain mappings; `config:` is checked here.
import { checkPoolSection, checkServiceSection } from '../serve/spec-check'
import { checkKeys, child, isMap, type Issues, type Json } from './issues'

/** `service:`; returns the mapping when it has the right shape. */
export const checkService = checkServiceSection
/** Top-level `pool:` (workers spec for `sky jobs pool`). */
export const checkPool = checkPoolSection

function section(v: unknown, path: string, issues: Issues, what: string): Json | undefined {
  if (isMap(v)) return v
  issues.bad(path, v, `must be a mapping (${what})`)
  return undefined
}

const int1 = (v: unknown): string | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 1 ? undefined : 'must be a whole number >= 1')

const HOOK_EVENTS = ['stop', 'preemption', 'down']

/** `config:` — task overrides of ~/.sky/config.yaml plus lifecycle `hooks`. */
export function checkTaskConfig(value: unknown, path: string, issues: Issues): Json | undefined {
  const v = section(value, path, issues, 'overrides of ~/.sky/config.yaml keys, and hooks')
  if (!v) return undefined
  const before = issues.count
  const hooks = v.hooks
  const hp = child(path, 'hooks')
  if (hooks !== undefined && hooks !== null) {
    if (!Array.isArray(hooks)) issues.bad(hp, hooks, 'must be a list of {run, events, timeout}')
    else {
      if (hooks.length > 32) issues.add(hp, `has ${hooks.length} hooks — at most 32 are allowed`)
      hooks.forEach((h, i) => {
        const p = child(hp, i)
        if (!isMap(h)) return issues.bad(p, h, 'must be a mapping {run, events, timeout}')
        checkKeys(issues, p, h, ['run', 'events', 'timeout'])
        if (typeof h.run !== 'string' || h.run === '') issues.bad(child(p, 'run'), h.run, 'is required: a non-empty string of bash commands')
        else if (Buffer.byteLength(h.run) > 16 * 1024) issues.add(child(p, 'run'), 'is longer than 16 KiB; put the script in workdir and call it')
        if (h.events !== undefined) {
          const ev = h.events
          const okEvents = Array.isArray(ev) && ev.length > 0 && ev.every((e) => HOOK_EVENTS.includes(e as string)) && new Set(ev).size === ev.length
          if (!okEvents) issues.bad(child(p, 'events'), ev, `must be a non-empty list of distinct events from ${HOOK_EVENTS.join(', ')}`)
        }
        if (h.timeout !== undefined) {
          const err = int1(h.timeout)
          if (err) issues.bad(child(p, 'timeout'), h.timeout, `${err} (seconds)`)
        }
      })
    }
  }
  return issues.count === before ? v : undefined
}
