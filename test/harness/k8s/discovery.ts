// Discovery and the other non-resource paths: /version, /healthz, /api, /apis (aggregated
// discovery when the client asks for it and the server has it on, else the legacy APIVersions /
// APIGroupList that every kubectl accepts), /api/v1, and /openapi/v3 (a small document that tells
// kubectl ≥ 1.27 the server validates fields itself, so it does not need the full OpenAPI schema).
import type { ServerResponse } from 'node:http'
import { sendJson } from './http'
import { aggregatedCore, aggregatedGroups, apiResourceList, RESOURCES } from './resources'

export interface VersionInfo {
  major: string
  minor: string
  gitVersion: string
}

export function versionInfo(version: string): Record<string, string> {
  const [major = '1', minor = '29', patch = '0'] = version.replace(/^v/, '').split('.')
  return {
    major,
    minor,
    gitVersion: `v${major}.${minor}.${patch}`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-01-01T00:00:00Z',
    goVersion: 'go1.21.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  }
}

/** The aggregated-discovery version the Accept header asks for, if any. */
function aggregatedWanted(accept: string): 'v2' | 'v2beta1' | undefined {
  for (const part of accept.split(',')) {
    if (!/as=APIGroupDiscoveryList/.test(part) || !/g=apidiscovery\.k8s\.io/.test(part)) continue
    if (/v=v2beta1/.test(part)) return 'v2beta1'
    if (/v=v2(;|$)/.test(part)) return 'v2'
  }
  return undefined
}

const aggType = (v: string) => `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`

function openapiV3Doc(): Record<string, unknown> {
  const paths: Record<string, unknown> = {}
  for (const r of RESOURCES) {
    const gvk = { group: '', version: 'v1', kind: r.kind }
    const params = [{ name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } }]
    const base = r.namespaced ? `/api/v1/namespaces/{namespace}/${r.name}` : `/api/v1/${r.name}`
    const op = (action: string) => ({ 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk, parameters: params, responses: {} })
    paths[base] = { post: op('post') }
    paths[`${base}/{name}`] = { put: op('put'), patch: op('patch') }
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1' }, paths, components: { schemas: {} } }
}

/**
 * /openapi/v2 as kubectl ≤ 1.32 fetches it: a protobuf (gnostic openapi_v2.Document) with only
 * `swagger` (field 1) and `info` (field 2: title, version) and no definitions. kubectl then finds
 * no schema for a kind and skips client-side validation, and `apply` falls back to its built-in
 * types for strategic merge patches.
 */
function openapiV2Protobuf(version: string): Buffer {
  const str = (field: number, s: string) => {
    const b = Buffer.from(s)
    return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b])
  }
  const info = Buffer.concat([str(1, 'Kubernetes'), str(2, `v${version.replace(/^v/, '')}`)])
  return Buffer.concat([str(1, '2.0'), Buffer.from([(2 << 3) | 2, info.length]), info])
}

/** Serve a non-resource path; false when the path is not one of them. */
export function serveDiscovery(path: string, accept: string, res: ServerResponse, o: { version: string; aggregated: boolean; serverAddress: string }): boolean {
  const agg = o.aggregated ? aggregatedWanted(accept) : undefined
  switch (path) {
    case '/version':
    case '/version/':
      sendJson(res, 200, versionInfo(o.version))
      return true
    case '/healthz':
    case '/livez':
    case '/readyz':
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' })
      res.end('ok')
      return true
    case '/api':
    case '/api/':
      if (agg) sendJson(res, 200, aggregatedCore(agg), aggType(agg))
      else sendJson(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: o.serverAddress }] })
      return true
    case '/apis':
    case '/apis/':
      if (agg) sendJson(res, 200, aggregatedGroups(agg), aggType(agg))
      else sendJson(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] })
      return true
    case '/api/v1':
    case '/api/v1/':
      sendJson(res, 200, apiResourceList())
      return true
    case '/openapi/v2': {
      const doc = openapiV2Protobuf(o.version)
      res.writeHead(200, { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'Content-Length': doc.length })
      res.end(doc)
      return true
    }
    case '/openapi/v3':
      sendJson(res, 200, { paths: { 'api/v1': { serverRelativeURL: '/openapi/v3/api/v1?hash=SKYTEST' } } })
      return true
    case '/openapi/v3/api/v1':
      sendJson(res, 200, openapiV3Doc())
      return true
  }
  return false
}
