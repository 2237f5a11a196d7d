// REST for /api/v1: routes a path to a resource (namespaced or not, with subresources) and runs
// the verb — list (as a List or a Table), watch, get, create (with dryRun), update, patch,
// delete (pods gracefully) and deletecollection — with the apiserver's status codes.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Cluster } from './cluster'
import { serveDiscovery } from './discovery'
import { sendJson, type RequestContext } from './http'
import { applyPatch } from './patch'
import { servePodLog } from './pod-logs'
import { RESOURCE_BY_NAME, type ResourceDef } from './resources'
import { fieldsMatch, labelsMatch, parseFieldSelector, parseLabelSelector } from './selectors'
import { badRequest, invalid, KubeError, methodNotAllowed, notFound, pathNotFound } from './status'
import type { KubeObject } from './store'
import { toTable, wantsTable } from './tables'
import { checkBody, prepareGeneric, preparePod, prepareService } from './validate'
import { serveWatch } from './watch'

export interface Route {
  def: ResourceDef
  namespace?: string
  name?: string
  sub?: string
  watchPath: boolean
}

/** Map /api/v1/... to a resource route; undefined when it is not one. */
export function route(path: string): Route | undefined {
  const seg = path.split('/').filter(Boolean).map(decodeURIComponent)
  if (seg[0] !== 'api' || seg[1] !== 'v1' || seg.length < 3) return undefined
  let rest = seg.slice(2)
  const watchPath = rest[0] === 'watch'
  if (watchPath) rest = rest.slice(1)
  if (rest[0] === 'namespaces' && rest.length >= 3 && RESOURCE_BY_NAME.get(rest[2]!)?.namespaced) {
    return { def: RESOURCE_BY_NAME.get(rest[2]!)!, namespace: rest[1], name: rest[3], sub: rest[4], watchPath }
  }
  const def = RESOURCE_BY_NAME.get(rest[0]!)
  if (!def || (def.namespaced && rest.length > 1)) return undefined
  return { def, name: rest[1], sub: rest[2], watchPath }
}

const MAX_BODY = 3 * 1024 * 1024

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    size += (c as Buffer).length
    if (size > MAX_BODY) throw new KubeError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728')
    chunks.push(c as Buffer)
  }
  return Buffer.concat(chunks).toString()
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim()
  if (type === 'application/vnd.kubernetes.protobuf') {
    req.resume()
    throw new KubeError(415, 'UnsupportedMediaType', 'this test API server reads JSON request bodies only (kubectl sends protobuf from its typed generators such as `create namespace`; use `kubectl apply -f` or `create -f` with a manifest)')
  }
  const text = await readBody(req)
  try {
    return text ? JSON.parse(text) : {}
  } catch (e) {
    throw badRequest(`the body of the request could not be decoded as JSON: ${(e as Error).message}`)
  }
}

const stripType = (o: KubeObject) => {
  const { apiVersion: _a, kind: _k, ...rest } = o
  return rest
}

export interface ApiOptions {
  version: string
  aggregated: boolean
  serverAddress: () => string
}

export function apiHandler(cluster: Cluster, o: ApiOptions) {
  const store = cluster.store
  return async (req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> => {
    const method = req.method ?? 'GET'
    const path = ctx.url.pathname
    const q = ctx.url.searchParams
    const accept = req.headers.accept ?? ''
    if (method === 'GET' && serveDiscovery(path, accept, res, { version: o.version, aggregated: o.aggregated, serverAddress: o.serverAddress() })) return
    const r = route(path)
    if (!r) throw pathNotFound()
    const { def } = r
    const ns = def.namespaced ? r.namespace : undefined
    if (def.namespaced && ns !== undefined && method === 'POST' && !r.name) {
      const n = store.get('namespaces', undefined, ns)
      if (!n) throw notFound('namespaces', ns)
      if (n.metadata.deletionTimestamp) throw new KubeError(403, 'Forbidden', `${def.name} "${''}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`)
    }
    if (r.sub === 'log' && def.name === 'pods' && method === 'GET') return servePodLog(cluster, res, ns!, r.name!, q)
    if (r.sub && r.sub !== 'status') {
      if (r.sub === 'exec' && def.name === 'pods') throw badRequest('Upgrade request required')
      throw pathNotFound()
    }
    const table = wantsTable(accept)
    const include = q.get('includeObject') ?? 'Metadata'

    if (method === 'GET' && (q.get('watch') === 'true' || q.get('watch') === '1' || r.watchPath)) {
      return serveWatch(store, res, {
        resource: def.name,
        namespace: ns,
        name: r.name,
        labels: parseLabelSelector(q.get('labelSelector')),
        fields: parseFieldSelector(q.get('fieldSelector'), def.fields),
        resourceVersion: q.get('resourceVersion') ?? undefined,
        timeoutSeconds: q.get('timeoutSeconds') ? Number(q.get('timeoutSeconds')) : undefined,
        bookmarks: q.get('allowWatchBookmarks') === 'true',
        sendInitialEvents: q.get('sendInitialEvents') === 'true',
        ...(table ? { table: include } : {}),
      })
    }
    if (!r.name) return collection(method)
    if (method === 'GET') {
      const obj = store.mustGet(def.name, ns, r.name)
      return sendJson(res, 200, table ? toTable(def.name, [obj], obj.metadata.resourceVersion, include) : obj)
    }
    if (method === 'PUT') {
      const body = checkBody(def.name, await readJson(req))
      if (body.metadata.name && body.metadata.name !== r.name) throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${r.name})`)
      return sendJson(res, 200, replace(def, ns, r.name, body, r.sub === 'status', body.metadata.resourceVersion))
    }
    if (method === 'PATCH') {
      const text = await readBody(req)
      const cur = store.get(def.name, ns, r.name)
      if (!cur) {
        if ((req.headers['content-type'] ?? '').startsWith('application/apply-patch')) {
          const created = create(def, ns, checkBody(def.name, applyPatch({}, text, req.headers['content-type']!)), false)
          return sendJson(res, 201, created)
        }
        throw notFound(def.name, r.name)
      }
      const next = checkBody(def.name, applyPatch(cur, text, req.headers['content-type'] ?? ''))
      return sendJson(res, 200, replace(def, ns, r.name, next, r.sub === 'status'))
    }
    if (method === 'DELETE') {
      const opts = (await readJson(req)) as { gracePeriodSeconds?: number; preconditions?: { uid?: string; resourceVersion?: string } }
      const graceQ = q.get('gracePeriodSeconds')
      const grace = graceQ !== null ? Number(graceQ) : opts.gracePeriodSeconds
      const obj = store.mustGet(def.name, ns, r.name)
      if (opts.preconditions?.uid && opts.preconditions.uid !== obj.metadata.uid) {
        throw new KubeError(409, 'Conflict', `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${obj.metadata.uid}`)
      }
      return sendJson(res, 200, remove(def, obj, grace))
    }
    throw methodNotAllowed(method, def.name)

    async function collection(m: string): Promise<void> {
      if (m === 'GET' || m === 'DELETE') {
        const labels = parseLabelSelector(q.get('labelSelector'))
        const fields = parseFieldSelector(q.get('fieldSelector'), def.fields)
        const items = store.list(def.name, ns).filter((o) => labelsMatch(o.metadata.labels, labels) && fieldsMatch(o, fields))
        if (m === 'DELETE') {
          const grace = q.get('gracePeriodSeconds')
          const removed = items.map((o) => remove(def, o, grace !== null ? Number(grace) : undefined, true) as KubeObject)
          return sendJson(res, 200, { kind: `${def.kind}List`, apiVersion: 'v1', metadata: { resourceVersion: store.resourceVersion }, items: removed.map(stripType) })
        }
        if (table) return sendJson(res, 200, toTable(def.name, items, store.resourceVersion, include))
        return sendJson(res, 200, { kind: `${def.kind}List`, apiVersion: 'v1', metadata: { resourceVersion: store.resourceVersion }, items: items.map(stripType) })
      }
      if (m === 'POST') {
        if (def.namespaced && ns === undefined) throw methodNotAllowed(m, def.name)
        const body = checkBody(def.name, await readJson(req))
        if (def.namespaced && body.metadata.namespace && body.metadata.namespace !== ns) {
          throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
        }
        const dryRun = q.getAll('dryRun').includes('All')
        return sendJson(res, 201, create(def, ns, body, dryRun))
      }
      throw methodNotAllowed(m, def.name)
    }
  }

  function create(def: ResourceDef, ns: string | undefined, body: KubeObject, dryRun: boolean): KubeObject {
    let obj: KubeObject
    if (def.name === 'pods') obj = preparePod(body, ns!)
    else if (def.name === 'services') obj = cluster.services.allocate(prepareService(body, ns!))
    else obj = prepareGeneric(def.name, body, ns)
    if (dryRun) return { ...obj, metadata: { ...obj.metadata, uid: '', creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } }
    const stored = store.create(def.name, obj)
    if (def.name === 'services') void cluster.services.open(stored)
    return stored
  }

  /** PUT/PATCH: metadata and (for most resources) spec change; a pod's spec only in its images. */
  function replace(def: ResourceDef, ns: string | undefined, name: string, next: KubeObject, statusOnly: boolean, rv?: string): KubeObject {
    const updated = update(def, ns, name, next, statusOnly, rv)
    if (def.name === 'services') {
      cluster.services.close(updated)
      void cluster.services.open(updated)
    }
    return updated
  }

  function update(def: ResourceDef, ns: string | undefined, name: string, next: KubeObject, statusOnly: boolean, rv?: string): KubeObject {
    return store.update(
      def.name,
      ns,
      name,
      (cur) => {
        if (statusOnly) return { ...cur, status: next.status }
        if (def.name === 'pods') {
          const strip = (s: Record<string, any>) => JSON.stringify({ ...s, containers: s.containers?.map((c: Record<string, unknown>) => ({ ...c, image: '' })) })
          if (strip(next.spec ?? {}) !== strip(cur.spec)) {
            throw invalid('Pod', name, [{ reason: 'FieldValueForbidden', message: 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) or `spec.terminationGracePeriodSeconds`', field: 'spec' }])
          }
          return { ...cur, metadata: { ...cur.metadata, labels: next.metadata.labels, annotations: next.metadata.annotations }, spec: next.spec }
        }
        const { status: _s, ...rest } = next
        return { ...cur, ...rest, status: cur.status, metadata: { ...cur.metadata, labels: next.metadata.labels, annotations: next.metadata.annotations } }
      },
      rv,
    )
  }

  /** DELETE one object: pods and namespaces return the object, the rest a Success Status. */
  function remove(def: ResourceDef, obj: KubeObject, grace: number | undefined, asObject = false): unknown {
    const ns = obj.metadata.namespace
    if (def.name === 'pods') return cluster.deletePod(obj, grace)
    if (def.name === 'namespaces') return cluster.deleteNamespace(obj)
    if (def.name === 'nodes') cluster.removeNode(obj.metadata.name)
    else {
      if (def.name === 'services') cluster.services.close(obj)
      store.remove(def.name, ns, obj.metadata.name)
    }
    if (asObject) return obj
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: obj.metadata.name, kind: def.name, uid: obj.metadata.uid } }
  }
}
