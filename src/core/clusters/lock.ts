// The per-cluster lease lock (state/locks.ts) as operations use it: launch, start, stop, down,
// autostop and refresh each hold it while they change a cluster, so two requests — on one server
// or on several replicas — never provision, start or tear down the same cluster at once. The
// owner is the request id (a request re-run after a crash takes its own lock back at once); the
// lease is renewed while the work runs, so a dead holder's lock expires by itself.
import { ConflictError } from '../errors'
import { pause } from '../pause'
import type { Store } from '../state/store'

export const LOCK_LEASE_MS = 30_000

export interface LockOptions {
  /** Who holds it (request id, controller id). */
  owner: string
  /** What for (`sky.launch`), shown to whoever waits. */
  purpose: string
  signal?: AbortSignal
  log?: (line: string) => void
  /** Wait for the lock (default) or give up at once (refresh: another operation is on it). */
  wait?: boolean
  leaseMs?: number
}

/** Locks this thread holds, so an operation that calls another under the same owner does not wait on itself. */
const held = new Map<string, number>()


/**
 * Run `fn` holding cluster `name`'s lock. With `wait: false`, returns undefined when someone else
 * holds it. Re-entrant for the same owner within this thread.
 */
export async function withClusterLock<T>(store: Store, name: string, o: LockOptions, fn: () => Promise<T>): Promise<T | undefined> {
  const key = `${name}\u0000${o.owner}`
  const depth = held.get(key) ?? 0
  if (depth > 0) {
    held.set(key, depth + 1)
    try {
      return await fn()
    } finally {
      held.set(key, held.get(key)! - 1)
    }
  }
  const lease = o.leaseMs ?? LOCK_LEASE_MS
  let told = false
  for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
    if (await store.locks.tryAcquire(name, o.owner, o.purpose, lease)) break
    if (o.wait === false) return undefined
    if (!told) {
      const cur = await store.locks.get(name)
      if (cur && cur.owner !== o.owner) o.log?.(`⚙︎ Waiting for cluster '${name}': ${cur.purpose} (${cur.owner.slice(0, 8)}) is working on it.`)
      told = true
    }
    await pause(wait + Math.floor(Math.random() * 50), o.signal)
  }
  held.set(key, 1)
  let lost = false
  const renew = setInterval(() => {
    void store.locks.renew(name, o.owner, lease).then(
      (ok) => {
        if (!ok && !lost) {
          lost = true
          o.log?.(`Lost the lock on cluster '${name}' (lease expired); another operation may take it.`)
        }
      },
      () => {},
    )
  }, Math.max(1000, Math.floor(lease / 3)))
  renew.unref?.()
  try {
    return await fn()
  } finally {
    clearInterval(renew)
    held.delete(key)
    await store.locks.release(name, o.owner).catch(() => {})
  }
}

/** Like withClusterLock, but a busy cluster is an error naming who holds it. */
export async function withClusterLockOrFail<T>(store: Store, name: string, o: LockOptions, fn: () => Promise<T>): Promise<T> {
  const out = await withClusterLock(store, name, { ...o, wait: false }, async () => ({ v: await fn() }))
  if (out) return out.v
  const cur = await store.locks.get(name)
  throw new ConflictError(`Cluster '${name}' is busy: ${cur?.purpose ?? 'another operation'} is working on it.`, { hint: 'Try again when it finishes (sky api status).' })
}
