// Watch streams (?watch=true): headers flushed at once, then one JSON event per line
// ({"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":...}). No resourceVersion or "0"
// starts with the current objects as ADDED; a resourceVersion resumes from the history, or gets a
// 410 Expired ERROR event when it is too old. A label/field selector turns an object moving in or
// out of the selection into ADDED/DELETED, as the apiserver's watch cache does.
import type { ServerResponse } from 'node:http'
import { RESOURCE_BY_NAME } from './resources'
import { fieldsMatch, labelsMatch, type FieldRequirement, type LabelRequirement } from './selectors'
import { gone } from './status'
import type { EventType, KubeObject, Store, StoreEvent } from './store'
import { toTable } from './tables'

export interface WatchOptions {
  resource: string
  namespace?: string
  name?: string
  labels: LabelRequirement[]
  fields: FieldRequirement[]
  resourceVersion?: string
  timeoutSeconds?: number
  bookmarks: boolean
  sendInitialEvents: boolean
  /** Send objects as one-row Tables (kubectl get -w), with this includeObject. */
  table?: string
}

const BOOKMARK_MS = 30_000

export function serveWatch(store: Store, res: ServerResponse, o: WatchOptions): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' })
  res.flushHeaders()
  const matches = (obj: KubeObject | undefined) =>
    !!obj &&
    (o.namespace === undefined || obj.metadata.namespace === o.namespace) &&
    (o.name === undefined || obj.metadata.name === o.name) &&
    labelsMatch(obj.metadata.labels, o.labels) &&
    fieldsMatch(obj, o.fields)
  let first = true
  const send = (type: EventType | 'BOOKMARK' | 'ERROR', object: unknown) => {
    let obj = object
    if (o.table && (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')) {
      obj = toTable(o.resource, [object as KubeObject], (object as KubeObject).metadata.resourceVersion, o.table, first)
      first = false
    }
    res.write(`${JSON.stringify({ type, object: obj })}\n`)
  }
  const deliver = (e: StoreEvent) => {
    if (e.resource !== o.resource) return
    const now = matches(e.object)
    const before = e.type === 'MODIFIED' ? matches(e.previous) : now
    if (now && before) send(e.type, e.object)
    else if (now) send('ADDED', e.object)
    else if (before) send('DELETED', e.object)
  }
  const bookmark = () => send('BOOKMARK', { kind: kindOf(o.resource), apiVersion: 'v1', metadata: { resourceVersion: store.resourceVersion } })

  const rv = o.resourceVersion
  if (!rv || rv === '0' || o.sendInitialEvents) {
    for (const obj of store.list(o.resource, o.namespace)) if (matches(obj)) send('ADDED', obj)
    if (o.sendInitialEvents) send('BOOKMARK', { kind: kindOf(o.resource), apiVersion: 'v1', metadata: { resourceVersion: store.resourceVersion, annotations: { 'k8s.io/initial-events-end': 'true' } } })
  } else {
    const backlog = /^\d+$/.test(rv) ? store.since(o.resource, Number(rv)) : undefined
    if (!backlog) {
      send('ERROR', gone(`too old resource version: ${rv} (${store.oldestResumable})`).toStatus())
      res.end()
      return
    }
    for (const e of backlog) deliver(e)
  }
  const unsubscribe = store.subscribe(deliver)
  const timers: ReturnType<typeof setTimeout>[] = []
  const finish = () => {
    unsubscribe()
    for (const t of timers) clearTimeout(t)
    if (!res.writableEnded) res.end()
  }
  if (o.bookmarks) timers.push(setInterval(bookmark, BOOKMARK_MS) as unknown as ReturnType<typeof setTimeout>)
  if (o.timeoutSeconds) timers.push(setTimeout(finish, o.timeoutSeconds * 1000))
  res.on('close', finish)
}

const kindOf = (resource: string) => RESOURCE_BY_NAME.get(resource)?.kind ?? 'Status'
