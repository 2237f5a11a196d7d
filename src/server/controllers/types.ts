// The contract between the controller runtime and the controllers it hosts (managed jobs now,
// services next). A controller kind names its objects by string keys, says which of them need an
// owner, and reconciles one object at a time: read its persisted state, take the next step,
// persist the result, and say when to look again. The runtime guarantees one reconcile at a
// time per object, across every replica (leases), and resumes objects after a restart.
import type { Fence } from '../../core/state/leases'
import type { Store } from '../../core/state/store'

export interface ReconcileContext {
  /** Proof of ownership: pass it to fenced writes (they fail once another replica took over). */
  fence: Fence
  /** Aborted when the lease is lost, the runtime stops, or the object was woken with interrupt. */
  signal: AbortSignal
  /** Wake an object (this kind or another), here and on every other replica. */
  wake(kind: string, key: string, o?: WakeOptions): void
}

export interface ReconcileResult {
  /** Reconcile again after this long unless woken earlier (polling a cluster, a retry gap). */
  requeueAfterMs?: number
  /** Nothing left to do: the lease is released and the object forgotten until woken again. */
  done?: boolean
}

export interface WakeOptions {
  /** Abort the reconcile in progress (e.g. a cancel arrived during a long launch). */
  interrupt?: boolean
}

export interface ControllerKind {
  readonly kind: string
  /** Objects that must be owned by some replica now (resumed at start-up and taken over). */
  activeKeys(): Promise<string[]>
  /** Keys that always exist and run on exactly one replica (e.g. a scheduler). */
  readonly singletons?: readonly string[]
  /** At most this many reconciles of this kind at once (default 256; they are mostly I/O). */
  readonly maxConcurrent?: number
  reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | void>
  /** The runtime no longer owns `key` (done, lease lost, stopping): drop in-memory state. */
  forget?(key: string): void
  /** The runtime is stopping: release shared resources. */
  close?(): Promise<void>
}

/** What a kind's factory gets: the store, and a way to wake objects. */
export interface KindDeps {
  store: Store
  replicaId: string
  wake(kind: string, key: string, o?: WakeOptions): void
  log(line: string): void
}

export type KindFactory = (deps: KindDeps) => Promise<ControllerKind>
