// Validation and defaulting on create, with the apiserver's field paths and messages
// (422 Invalid with causes; 400 for bodies that do not decode, such as a bad quantity).
import { isQuantity } from './quantity'
import { RESOURCE_BY_NAME } from './resources'
import { badRequest, invalid, type StatusCause } from './status'
import type { KubeObject } from './store'

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const LABEL_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const LABEL_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const QUANTITY_RE = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"

const required = (field: string, detail = ''): StatusCause => ({ reason: 'FieldValueRequired', message: `Required value${detail ? `: ${detail}` : ''}`, field })
const badValue = (field: string, value: unknown, detail: string): StatusCause => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
  field,
})
const unsupported = (field: string, value: unknown, allowed: string[]): StatusCause => ({
  reason: 'FieldValueNotSupported',
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed.map((a) => `"${a}"`).join(', ')}`,
  field,
})

function checkName(name: string | undefined, generateName: string | undefined, re: RegExp, what: string, max: number): StatusCause[] {
  if (!name) return generateName ? [] : [required('metadata.name', 'name or generateName is required')]
  if (re.test(name) && name.length <= max) return []
  return [badValue('metadata.name', name, `${what} must consist of lower case alphanumeric characters${re === SUBDOMAIN ? ", '-' or '.'" : " or '-'"}, and must start and end with an alphanumeric character`)]
}

/** Body checks common to every resource: it decodes, and its apiVersion/kind match the path. */
export function checkBody(resource: string, body: unknown): KubeObject {
  const def = RESOURCE_BY_NAME.get(resource)!
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest(`the body of the request was not a ${def.kind} object`)
  const o = body as KubeObject
  if (o.kind && o.kind !== def.kind) throw badRequest(`the kind in the data (${o.kind}) does not match the expected kind (${def.kind})`)
  if (o.apiVersion && o.apiVersion !== 'v1') throw badRequest(`the API version in the data (${o.apiVersion}) does not match the expected API version (v1)`)
  return { ...o, apiVersion: 'v1', kind: def.kind, metadata: { ...(o.metadata ?? {}) } as KubeObject['metadata'] }
}

function checkQuantities(pod: KubeObject): void {
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const group of [c?.resources?.requests, c?.resources?.limits]) {
      for (const v of Object.values(group ?? {})) {
        if (!isQuantity(v)) throw badRequest(`Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '${QUANTITY_RE}'`)
      }
    }
  }
}

function containerCauses(list: unknown, path: string, requiredList: boolean): StatusCause[] {
  const causes: StatusCause[] = []
  if (!Array.isArray(list) || !list.length) return requiredList ? [required(path)] : []
  const seen = new Set<string>()
  list.forEach((c: Record<string, any>, i) => {
    const p = `${path}[${i}]`
    if (!c?.name) causes.push(required(`${p}.name`))
    else if (!LABEL_1123.test(c.name)) causes.push(badValue(`${p}.name`, c.name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"))
    else if (seen.has(c.name)) causes.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(c.name)}`, field: `${p}.name` })
    if (c?.name) seen.add(c.name)
    if (!c?.image) causes.push(required(`${p}.image`))
    const req: Record<string, string> = c?.resources?.requests ?? {}
    const lim: Record<string, string> = c?.resources?.limits ?? {}
    for (const [res, v] of Object.entries(req)) {
      const extended = res.includes('/')
      if (extended && lim[res] === undefined) causes.push(required(`${p}.resources.limits`, 'Limit must be set for non overcommitable resources'))
      else if (extended && String(lim[res]) !== String(v)) causes.push(badValue(`${p}.resources.requests[${res}]`, v, `must be equal to ${res} limit of ${lim[res]}`))
    }
  })
  return causes
}

/** Validate and default a Pod on create. */
export function preparePod(pod: KubeObject, namespace: string): KubeObject {
  checkQuantities(pod)
  const name = pod.metadata.name ?? pod.metadata.generateName ?? ''
  const causes = [
    ...checkName(pod.metadata.name, pod.metadata.generateName, SUBDOMAIN, 'a lowercase RFC 1123 subdomain', 253),
    ...containerCauses(pod.spec?.containers, 'spec.containers', true),
    ...containerCauses(pod.spec?.initContainers, 'spec.initContainers', false),
  ]
  const policy = pod.spec?.restartPolicy ?? 'Always'
  if (!['Always', 'OnFailure', 'Never'].includes(policy)) causes.push(unsupported('spec.restartPolicy', policy, ['Always', 'OnFailure', 'Never']))
  if (causes.length) throw invalid('Pod', name, causes)
  const container = (c: Record<string, any>) => ({
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: /:[^/]+$/.test(c.image) && !c.image.endsWith(':latest') ? 'IfNotPresent' : 'Always',
    resources: {},
    ...c,
  })
  return {
    ...pod,
    metadata: { ...pod.metadata, namespace },
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      securityContext: {},
      schedulerName: 'default-scheduler',
      enableServiceLinks: true,
      priority: 0,
      preemptionPolicy: 'PreemptLowerPriority',
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      ...pod.spec,
      containers: pod.spec.containers.map(container),
      ...(pod.spec.initContainers ? { initContainers: pod.spec.initContainers.map(container) } : {}),
    },
    status: { phase: 'Pending', qosClass: qosClass(pod) },
  }
}

function qosClass(pod: KubeObject): string {
  const cs: Record<string, any>[] = pod.spec?.containers ?? []
  const any = cs.some((c) => Object.keys(c.resources?.requests ?? {}).length || Object.keys(c.resources?.limits ?? {}).length)
  if (!any) return 'BestEffort'
  const guaranteed = cs.every((c) => {
    const l = c.resources?.limits ?? {}
    const r = c.resources?.requests ?? {}
    return l.cpu && l.memory && (r.cpu ?? l.cpu) === l.cpu && (r.memory ?? l.memory) === l.memory
  })
  return guaranteed ? 'Guaranteed' : 'Burstable'
}

const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']

/** Validate and default a Service on create (IPs and node ports are assigned by the caller). */
export function prepareService(svc: KubeObject, namespace: string): KubeObject {
  const spec: Record<string, any> = { ...(svc.spec ?? {}) }
  const type = spec.type ?? 'ClusterIP'
  const causes = checkName(svc.metadata.name, svc.metadata.generateName, LABEL_1035, 'a DNS-1035 label', 63)
  if (!SERVICE_TYPES.includes(type)) causes.push(unsupported('spec.type', type, SERVICE_TYPES))
  const ports: Record<string, any>[] = Array.isArray(spec.ports) ? spec.ports : []
  if (!ports.length && type !== 'ExternalName' && spec.clusterIP !== 'None') causes.push(required('spec.ports'))
  ports.forEach((p, i) => {
    const at = `spec.ports[${i}]`
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) causes.push(badValue(`${at}.port`, p.port, 'must be between 1 and 65535, inclusive'))
    if (ports.length > 1 && !p.name) causes.push(required(`${at}.name`))
    if (p.protocol && !['TCP', 'UDP', 'SCTP'].includes(p.protocol)) causes.push(unsupported(`${at}.protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']))
    if (p.nodePort !== undefined && type === 'ClusterIP') causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: may not be used when `type` is \'ClusterIP\'', field: `${at}.nodePort` })
    if (p.nodePort !== undefined && type !== 'ClusterIP' && (p.nodePort < 30000 || p.nodePort > 32767)) {
      causes.push(badValue(`${at}.nodePort`, p.nodePort, 'provided port is not in the valid range. The range of valid ports is 30000-32767'))
    }
  })
  if (causes.length) throw invalid('Service', svc.metadata.name ?? '', causes)
  const external = type === 'NodePort' || type === 'LoadBalancer'
  return {
    ...svc,
    metadata: { ...svc.metadata, namespace },
    spec: {
      ...spec,
      type,
      sessionAffinity: spec.sessionAffinity ?? 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: spec.internalTrafficPolicy ?? 'Cluster',
      ...(external ? { externalTrafficPolicy: spec.externalTrafficPolicy ?? 'Cluster' } : {}),
      ...(type === 'LoadBalancer' ? { allocateLoadBalancerNodePorts: spec.allocateLoadBalancerNodePorts ?? true } : {}),
      ports: ports.map((p) => ({ protocol: 'TCP', targetPort: p.port, ...p })),
    },
    status: { loadBalancer: {} },
  }
}

/** Validate and default the simple resources (namespaces, configmaps, secrets, events, ...). */
export function prepareGeneric(resource: string, obj: KubeObject, namespace: string | undefined): KubeObject {
  const def = RESOURCE_BY_NAME.get(resource)!
  const causes =
    resource === 'namespaces'
      ? checkName(obj.metadata.name, obj.metadata.generateName, LABEL_1123, 'a lowercase RFC 1123 label', 63)
      : checkName(obj.metadata.name, obj.metadata.generateName, resource === 'events' ? /^.+$/ : SUBDOMAIN, 'a lowercase RFC 1123 subdomain', 253)
  if (causes.length) throw invalid(def.kind, obj.metadata.name ?? '', causes)
  const out: KubeObject = { ...obj, metadata: { ...obj.metadata, ...(def.namespaced ? { namespace } : {}) } }
  if (resource === 'namespaces') {
    out.spec = { finalizers: ['kubernetes'] }
    out.status = { phase: 'Active' }
    out.metadata.labels = { 'kubernetes.io/metadata.name': obj.metadata.name, ...obj.metadata.labels }
  }
  if (resource === 'secrets') {
    out.type = obj.type ?? 'Opaque'
    const data: Record<string, string> = { ...(obj.data ?? {}) }
    for (const [k, v] of Object.entries((obj.stringData ?? {}) as Record<string, string>)) data[k] = Buffer.from(v).toString('base64')
    delete out.stringData
    if (Object.keys(data).length) out.data = data
  }
  return out
}
