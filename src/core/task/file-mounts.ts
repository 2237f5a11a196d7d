// `file_mounts`: remote path → local path (rsynced up), cloud URI (copied down) or a storage
// object {name, source, store, mode, persistent, config, ...}.
import { checkKeys, child, compact, isMap, type Issues, type Json } from './issues'
import type { FileMount } from './types'

const STORAGE_KEYS = ['name', 'source', 'store', 'persistent', 'mode', 'mount_options', 'type', 'config']
export const STORES = ['s3', 'gcs', 'azure', 'r2', 'ibm', 'oci', 'nebius', 'coreweave', 'vastdata', 'hf', 'huggingface', 'volume'] as const
export const STORAGE_MODES = ['MOUNT', 'COPY', 'MOUNT_CACHED'] as const

const URI_RE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//

export function isCloudUri(s: string): boolean {
  return URI_RE.test(s.trim())
}

export function parseFileMounts(value: unknown, path: string, issues: Issues): Record<string, FileMount> {
  const out: Record<string, FileMount> = {}
  if (value === null || value === undefined) return out
  if (!isMap(value)) {
    issues.bad(path, value, 'must be a mapping of remote path → local path, cloud URI or storage object')
    return out
  }
  for (const [dst, src] of Object.entries(value)) {
    const p = child(path, dst)
    if (dst.trim() === '') {
      issues.add(p, 'remote path must not be empty')
      continue
    }
    if (typeof src === 'string') {
      if (src.trim() === '') issues.bad(p, src, 'must be a local path, a cloud URI (s3://, gs://, ...) or a storage object')
      else out[dst] = { kind: isCloudUri(src) ? 'uri' : 'local', source: src.trim() }
    } else if (isMap(src)) {
      const m = parseStorage(src, p, issues)
      if (m) out[dst] = m
    } else {
      issues.bad(p, src, 'must be a local path, a cloud URI (s3://, gs://, ...) or a storage object {name, source, mode}')
    }
  }
  return out
}

function parseStorage(src: Json, path: string, issues: Issues): FileMount | undefined {
  const before = issues.count
  checkKeys(issues, path, src, STORAGE_KEYS, (k) => k.startsWith('_'))
  const m: Extract<FileMount, { kind: 'storage' }> = { kind: 'storage' }
  const str = (k: string): string | undefined => {
    const v = src[k]
    if (v === undefined || v === null) return undefined
    if (typeof v === 'string' && v.trim() !== '') return v.trim()
    issues.bad(child(path, k), v, 'must be a non-empty string')
    return undefined
  }
  m.name = str('name')
  const source = src.source
  if (source !== undefined && source !== null) {
    if (typeof source === 'string' && source.trim() !== '') m.source = source.trim()
    else if (Array.isArray(source) && source.length > 0 && source.every((s) => typeof s === 'string' && s.trim() !== '')) {
      m.source = (source as string[]).map((s) => s.trim())
    } else issues.bad(child(path, 'source'), source, 'must be a local path, a cloud URI, or a non-empty list of local paths')
  }
  const store = str('store')
  if (store !== undefined) {
    if ((STORES as readonly string[]).includes(store.toLowerCase())) m.store = store.toLowerCase()
    else issues.bad(child(path, 'store'), src.store, `must be one of ${STORES.join(', ')}`)
  }
  const mode = str('mode')
  if (mode !== undefined) {
    if ((STORAGE_MODES as readonly string[]).includes(mode.toUpperCase())) m.mode = mode.toUpperCase() as typeof m.mode
    else issues.bad(child(path, 'mode'), src.mode, `must be one of ${STORAGE_MODES.join(', ')}`)
  }
  if (src.persistent !== undefined && src.persistent !== null) {
    if (typeof src.persistent === 'boolean') m.persistent = src.persistent
    else issues.bad(child(path, 'persistent'), src.persistent, 'must be true or false')
  }
  if (src.config !== undefined && src.config !== null) {
    if (isMap(src.config)) m.config = src.config
    else issues.bad(child(path, 'config'), src.config, 'must be a mapping of store options')
  }
  m.mountOptions = str('mount_options')
  m.type = str('type')
  // A new instance volume (`store: volume` + config) needs neither: SkyPilot creates and names it.
  if (m.name === undefined && m.source === undefined && m.store !== 'volume' && before === issues.count) {
    issues.add(path, "a storage object needs 'name' (bucket) and/or 'source'")
  }
  const extra: Json = {}
  for (const [k, v] of Object.entries(src)) if (k.startsWith('_') && v !== undefined) extra[k] = v
  if (Object.keys(extra).length > 0) m.extra = extra
  return issues.count === before ? compact(m) : undefined
}

/** FileMount back to its YAML value. */
export function fileMountToYaml(m: FileMount): unknown {
  if (m.kind !== 'storage') return m.source
  const out: Json = {}
  if (m.name !== undefined) out.name = m.name
  if (m.source !== undefined) out.source = m.source
  if (m.store !== undefined) out.store = m.store
  if (m.mode !== undefined) out.mode = m.mode
  if (m.persistent !== undefined) out.persistent = m.persistent
  if (m.mountOptions !== undefined) out.mount_options = m.mountOptions
  if (m.type !== undefined) out.type = m.type
  if (m.config !== undefined) out.config = m.config
  if (m.extra) Object.assign(out, m.extra)
  return out
}
