// PATCH bodies: JSON merge patch (RFC 7386), strategic merge patch (a merge patch whose lists of
// named objects — containers, env, ports, volumes — merge by name; other lists are replaced;
// `$patch: delete` entries remove), JSON patch (RFC 6902) and server-side apply (merged like a
// strategic merge patch; field ownership is not tracked).
import YAML from 'yaml'
import { badRequest, KubeError, unsupportedMediaType } from './status'

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
const isObj = (v: unknown): v is Record<string, Json> => !!v && typeof v === 'object' && !Array.isArray(v)

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return patch
  const out: Record<string, Json> = isObj(target) ? { ...target } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k] ?? null, v)
  }
  return out
}

function strategic(target: Json, patch: Json): Json {
  if (Array.isArray(patch)) {
    const named = patch.every((p) => isObj(p) && typeof p.name === 'string') && Array.isArray(target)
    if (!named) return patch.filter((p) => !(isObj(p) && p.$patch === 'delete'))
    const out = [...(target as Json[])]
    for (const p of patch as Record<string, Json>[]) {
      const i = out.findIndex((t) => isObj(t) && t.name === p.name)
      if (p.$patch === 'delete') {
        if (i >= 0) out.splice(i, 1)
      } else if (i >= 0) out[i] = strategic(out[i]!, p)
      else out.push(p)
    }
    return out
  }
  if (!isObj(patch)) return patch
  const out: Record<string, Json> = isObj(target) ? { ...target } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue
    if (v === null) delete out[k]
    else out[k] = strategic(out[k] ?? null, v)
  }
  return out
}

function pointer(path: string): string[] {
  if (path === '') return []
  if (!path.startsWith('/')) throw badRequest(`the server rejected our request due to an error in our request: invalid JSON pointer "${path}"`)
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

function jsonPatch(doc: Json, ops: { op: string; path: string; value?: Json; from?: string }[]): Json {
  let root = structuredClone(doc)
  const walk = (parts: string[]): [Json, string] => {
    let cur = root
    for (const p of parts.slice(0, -1)) {
      cur = Array.isArray(cur) ? cur[Number(p)]! : isObj(cur) ? cur[p]! : (undefined as never)
      if (cur === undefined) throw new KubeError(422, 'Invalid', `doc is missing path: "/${parts.join('/')}"`)
    }
    return [cur, parts[parts.length - 1]!]
  }
  const get = (parts: string[]): Json => {
    if (!parts.length) return root
    const [parent, last] = walk(parts)
    const v = Array.isArray(parent) ? parent[Number(last)] : isObj(parent) ? parent[last] : undefined
    if (v === undefined) throw new KubeError(422, 'Invalid', `doc is missing path: "/${parts.join('/')}"`)
    return v
  }
  const put = (parts: string[], value: Json, insert: boolean) => {
    if (!parts.length) {
      root = value
      return
    }
    const [parent, last] = walk(parts)
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last)
      if (insert) parent.splice(i, 0, value)
      else parent[i] = value
    } else if (isObj(parent)) parent[last] = value
  }
  const remove = (parts: string[]) => {
    get(parts)
    const [parent, last] = walk(parts)
    if (Array.isArray(parent)) parent.splice(Number(last), 1)
    else if (isObj(parent)) delete parent[last]
  }
  for (const op of ops) {
    const parts = pointer(op.path)
    if (op.op === 'add') put(parts, op.value ?? null, true)
    else if (op.op === 'replace') {
      get(parts)
      put(parts, op.value ?? null, false)
    } else if (op.op === 'remove') remove(parts)
    else if (op.op === 'test') {
      if (JSON.stringify(get(parts)) !== JSON.stringify(op.value)) throw new KubeError(422, 'Invalid', `testing value /${parts.join('/')} failed`)
    } else if (op.op === 'copy') put(parts, structuredClone(get(pointer(op.from ?? ''))), true)
    else if (op.op === 'move') {
      const v = get(pointer(op.from ?? ''))
      remove(pointer(op.from ?? ''))
      put(parts, v, true)
    } else throw badRequest(`Unexpected kind: ${op.op}`)
  }
  return root
}

/** Apply a PATCH body of the given content type to `current`. */
export function applyPatch(current: unknown, body: string, contentType: string): Record<string, unknown> {
  const type = contentType.split(';')[0]!.trim()
  let patch: Json
  try {
    patch = type === 'application/apply-patch+yaml' ? (YAML.parse(body) as Json) : (JSON.parse(body) as Json)
  } catch (e) {
    throw badRequest(`error decoding patch: ${(e as Error).message}`)
  }
  let out: Json
  if (type === 'application/merge-patch+json') out = mergePatch(current as Json, patch)
  else if (type === 'application/strategic-merge-patch+json' || type === 'application/apply-patch+yaml') out = strategic(current as Json, patch)
  else if (type === 'application/json-patch+json') {
    if (!Array.isArray(patch)) throw badRequest('json patch must be a list of operations')
    out = jsonPatch(current as Json, patch as never)
  } else throw unsupportedMediaType(type)
  if (!isObj(out)) throw badRequest('the patch did not produce an object')
  return out
}
