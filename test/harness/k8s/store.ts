// In-memory object store for one cluster: objects per resource keyed by namespace/name, one
// resourceVersion counter (like etcd's revision), and a bounded event history so watches can
// resume from a resourceVersion (older than the history → 410 Expired, as the apiserver says).
// Stored objects are never mutated: an update stores a new object.
import { randomUUID } from 'node:crypto'
import { alreadyExists, conflict, notFound } from './status'

export interface ObjectMeta {
  name: string
  namespace?: string
  uid: string
  resourceVersion: string
  creationTimestamp: string
  generateName?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  deletionTimestamp?: string
  deletionGracePeriodSeconds?: number
  generation?: number
  [k: string]: unknown
}

export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  // biome-ignore lint: free-form spec/status
  [k: string]: any
}

/** Metadata of an object not stored yet (the store adds uid, resourceVersion, creationTimestamp). */
export const newMeta = (m: Partial<ObjectMeta> & { name: string }) => m as ObjectMeta

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED'
export interface StoreEvent {
  type: EventType
  resource: string
  object: KubeObject
  /** The object before this change (MODIFIED only). */
  previous?: KubeObject
  rv: number
}

const HISTORY = 10_000

export const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z')
const key = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`

export class Store {
  private rv = 1000
  private readonly objects = new Map<string, Map<string, KubeObject>>()
  private readonly history: StoreEvent[] = []
  private readonly listeners = new Set<(e: StoreEvent) => void>()

  get resourceVersion(): string {
    return String(this.rv)
  }

  /** The oldest resourceVersion a watch can resume from. */
  get oldestResumable(): number {
    return this.history.length ? this.history[0]!.rv - 1 : this.rv
  }

  private table(resource: string): Map<string, KubeObject> {
    let t = this.objects.get(resource)
    if (!t) this.objects.set(resource, (t = new Map()))
    return t
  }

  get(resource: string, ns: string | undefined, name: string): KubeObject | undefined {
    return this.table(resource).get(key(ns, name))
  }

  mustGet(resource: string, ns: string | undefined, name: string): KubeObject {
    const o = this.get(resource, ns, name)
    if (!o) throw notFound(resource, name)
    return o
  }

  /** Objects of a resource, in one namespace or all, sorted by namespace then name. */
  list(resource: string, ns?: string): KubeObject[] {
    const out: KubeObject[] = []
    for (const o of this.table(resource).values()) if (ns === undefined || o.metadata.namespace === ns) out.push(o)
    return out.sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name))
  }

  /** Store a new object: assigns uid, resourceVersion and creationTimestamp (and a name from generateName). */
  create(resource: string, obj: KubeObject): KubeObject {
    const t = this.table(resource)
    const meta = { ...obj.metadata }
    if (!meta.name && meta.generateName) {
      do meta.name = meta.generateName + Math.random().toString(36).slice(2, 7)
      while (t.has(key(meta.namespace, meta.name)))
    }
    if (t.has(key(meta.namespace, meta.name))) throw alreadyExists(resource, meta.name)
    const stored: KubeObject = { ...obj, metadata: { ...meta, uid: randomUUID(), resourceVersion: String(++this.rv), creationTimestamp: now() } }
    t.set(key(meta.namespace, meta.name), stored)
    this.emit({ type: 'ADDED', resource, object: stored, rv: this.rv })
    return stored
  }

  /**
   * Replace an object with `next` (built from the current one by `change`). With `expectRv`, a
   * different stored resourceVersion is a 409 Conflict, as on the apiserver.
   */
  update(resource: string, ns: string | undefined, name: string, change: (cur: KubeObject) => KubeObject, expectRv?: string): KubeObject {
    const t = this.table(resource)
    const cur = t.get(key(ns, name))
    if (!cur) throw notFound(resource, name)
    if (expectRv && expectRv !== cur.metadata.resourceVersion) {
      throw conflict(resource, name, 'the object has been modified; please apply your changes to the latest version and try again')
    }
    const next = change(structuredClone(cur))
    next.metadata = { ...next.metadata, name: cur.metadata.name, namespace: cur.metadata.namespace, uid: cur.metadata.uid, creationTimestamp: cur.metadata.creationTimestamp, resourceVersion: String(++this.rv) }
    t.set(key(ns, name), next)
    this.emit({ type: 'MODIFIED', resource, object: next, previous: cur, rv: this.rv })
    return next
  }

  remove(resource: string, ns: string | undefined, name: string): KubeObject | undefined {
    const t = this.table(resource)
    const cur = t.get(key(ns, name))
    if (!cur) return undefined
    t.delete(key(ns, name))
    const gone = { ...cur, metadata: { ...cur.metadata, resourceVersion: String(++this.rv) } }
    this.emit({ type: 'DELETED', resource, object: gone, rv: this.rv })
    return gone
  }

  /** Events after `rv` for a resource, or undefined when they are no longer kept. */
  since(resource: string, rv: number): StoreEvent[] | undefined {
    if (rv < this.oldestResumable) return undefined
    return this.history.filter((e) => e.rv > rv && e.resource === resource)
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  private emit(e: StoreEvent): void {
    this.history.push(e)
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY)
    for (const fn of this.listeners) {
      try {
        fn(e)
      } catch (err) {
        console.error('k8s harness: store listener failed:', err)
      }
    }
  }
}
