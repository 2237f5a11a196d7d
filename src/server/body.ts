// Request bodies, bounded by route: JSON operations take at most a few MB, upload chunks (PUT
// /upload/...) a little more; Bun itself refuses anything above the largest limit before it is
// read. A body is read as a stream and dropped the moment it passes its limit (chunked bodies
// have no Content-Length to check up front), JSON nested deeper than 64 levels is refused before
// it is parsed, and errors never echo the body back.
import { ValidationError } from '../core/errors'
import { pathOf } from './auth/deploy'

export const JSON_BODY_MAX = 5 << 20
export const UPLOAD_CHUNK_MAX = 8 << 20
/** What Bun accepts at all (the largest route limit, plus headroom for framing). */
export const SERVER_BODY_MAX = UPLOAD_CHUNK_MAX + (64 << 10)
export const MAX_JSON_DEPTH = 64

export function isUploadChunkPath(path: string): boolean {
  return path.startsWith('/upload/blobs/')
}

export function bodyLimitFor(path: string): number {
  return isUploadChunkPath(path) ? UPLOAD_CHUNK_MAX : JSON_BODY_MAX
}

export function tooLarge(limit: number): ValidationError {
  const e = new ValidationError([{ path: 'body', message: `request body is larger than this route allows (${Math.round(limit / 1024)} KB)` }], {
    hint: 'Files go through the upload API (sky uploads workdirs and file mounts itself); keep JSON bodies small.',
  })
  e.httpStatus = 413
  return e
}

/** Refuse a declared Content-Length above the route's limit before reading anything. */
export function checkDeclaredLength(req: Request): void {
  const len = req.headers.get('content-length')
  if (len === null) return
  const limit = bodyLimitFor(pathOf(req.url))
  if (Number(len) > limit) throw tooLarge(limit)
}

/** The whole body, or ValidationError (413) as soon as it passes `limit` bytes. */
export async function readLimited(req: Request, limit: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array(0)
  // A declared length was checked against the limit before routing (checkDeclaredLength).
  const declared = req.headers.get('content-length')
  if (declared !== null && Number(declared) <= limit) return new Uint8Array(await req.arrayBuffer())
  const reader = req.body.getReader()
  const parts: Uint8Array[] = []
  let n = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    n += value.byteLength
    if (n > limit) {
      await reader.cancel().catch(() => {})
      throw tooLarge(limit)
    }
    parts.push(value)
  }
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

/** Whether JSON text nests arrays/objects deeper than `max` (strings are skipped). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 || c === 91) {
      if (++depth > max) return true
    } else if (c === 125 || c === 93) depth--
  }
  return false
}

/** Parse a JSON body: 400 for malformed or too deep JSON, never echoing it. */
export function parseJsonBody(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) return {}
  const text = new TextDecoder().decode(bytes)
  if (!text.trim()) return {}
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new ValidationError([{ path: 'body', message: `JSON nests deeper than ${MAX_JSON_DEPTH} levels` }])
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new ValidationError([{ path: 'body', message: 'request body is not valid JSON' }])
  }
}

/** Elysia parse hook: every body goes through the limits above. */
export async function parseBody({ request }: { request: Request }): Promise<unknown> {
  const path = pathOf(request.url)
  const limit = bodyLimitFor(path)
  const bytes = await readLimited(request, limit)
  if (isUploadChunkPath(path)) return { bytes }
  return parseJsonBody(bytes)
}
