// core/v1 Events written by the scheduler and the kubelet (Scheduled, FailedScheduling, Pulled,
// Created, Started, Killing, BackOff), aggregated like the apiserver's event recorder: the same
// reason and message on the same object bumps `count` and `lastTimestamp` of one Event.
import { randomBytes } from 'node:crypto'
import { newMeta, now, type KubeObject, type Store } from './store'

export interface EventSource {
  component: string
  host?: string
}

export function recordEvent(store: Store, obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, source: EventSource, fieldPath?: string): void {
  const ns = obj.metadata.namespace ?? 'default'
  const same = store
    .list('events', ns)
    .find((e) => e.involvedObject?.uid === obj.metadata.uid && e.reason === reason && e.message === message && e.involvedObject?.fieldPath === fieldPath)
  const at = now()
  if (same) {
    store.update('events', ns, same.metadata.name, (e) => ({ ...e, count: (e.count ?? 1) + 1, lastTimestamp: at }))
    return
  }
  store.create('events', {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: newMeta({ name: `${obj.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: ns }),
    involvedObject: {
      kind: obj.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      uid: obj.metadata.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: obj.metadata.resourceVersion,
      ...(fieldPath ? { fieldPath } : {}),
    },
    reason,
    message,
    source,
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    type,
    eventTime: null,
    reportingComponent: source.component,
    reportingInstance: source.host ?? '',
  })
}
