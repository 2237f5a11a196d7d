// The core/v1 resources this server serves, with what discovery says about each, and the
// field selectors each supports.

export interface ResourceDef {
  name: string
  singular: string
  kind: string
  namespaced: boolean
  shortNames: string[]
  verbs: string[]
  categories?: string[]
  subresources: { name: string; kind: string; verbs: string[] }[]
  fields: readonly string[]
}

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']
const META = ['metadata.name', 'metadata.namespace']

export const RESOURCES: ResourceDef[] = [
  {
    name: 'pods',
    singular: 'pod',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    verbs: RW,
    categories: ['all'],
    subresources: [
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'status', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
    ],
    fields: [...META, 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  },
  {
    name: 'services',
    singular: 'service',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    categories: ['all'],
    subresources: [{ name: 'status', kind: 'Service', verbs: ['get', 'patch', 'update'] }],
    fields: [...META, 'spec.clusterIP', 'spec.type'],
  },
  {
    name: 'nodes',
    singular: 'node',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    verbs: RW,
    subresources: [{ name: 'status', kind: 'Node', verbs: ['get', 'patch', 'update'] }],
    fields: ['metadata.name', 'spec.unschedulable'],
  },
  {
    name: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [{ name: 'status', kind: 'Namespace', verbs: ['get', 'patch', 'update'] }],
    fields: ['metadata.name', 'status.phase'],
  },
  {
    name: 'events',
    singular: 'event',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    verbs: RW,
    subresources: [],
    fields: [
      ...META,
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
  },
  { name: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'], verbs: RW, subresources: [], fields: META },
  { name: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true, shortNames: [], verbs: RW, subresources: [], fields: [...META, 'type'] },
  { name: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'], verbs: RW, subresources: [], fields: META },
]

export const RESOURCE_BY_NAME = new Map(RESOURCES.map((r) => [r.name, r]))

/** Legacy discovery: GET /api/v1 → APIResourceList. */
export function apiResourceList(): Record<string, unknown> {
  const resources: Record<string, unknown>[] = []
  for (const r of RESOURCES) {
    resources.push({
      name: r.name,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
      storageVersionHash: hash(r.name),
    })
    for (const s of r.subresources) resources.push({ name: `${r.name}/${s.name}`, singularName: '', namespaced: r.namespaced, kind: s.kind, verbs: s.verbs })
  }
  return { kind: 'APIResourceList', groupVersion: 'v1', resources }
}

/** Aggregated discovery (apidiscovery.k8s.io/v2): GET /api with the aggregated Accept. */
export function aggregatedCore(version: 'v2' | 'v2beta1'): Record<string, unknown> {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: [
      {
        metadata: { creationTimestamp: null },
        versions: [
          {
            version: 'v1',
            freshness: 'Current',
            resources: RESOURCES.map((r) => ({
              resource: r.name,
              responseKind: { group: '', version: 'v1', kind: r.kind },
              scope: r.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: r.singular,
              verbs: r.verbs,
              ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
              ...(r.categories ? { categories: r.categories } : {}),
              ...(r.subresources.length
                ? { subresources: r.subresources.map((s) => ({ subresource: s.name, responseKind: { group: '', version: 'v1', kind: s.kind }, verbs: s.verbs })) }
                : {}),
            })),
          },
        ],
      },
    ],
  }
}

/** No API groups beyond core/v1 are served. */
export const aggregatedGroups = (version: 'v2' | 'v2beta1') => ({ kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items: [] })

function hash(s: string): string {
  return Buffer.from(new Bun.CryptoHasher('sha256').update(s).digest()).toString('base64').slice(0, 11)
}
