// Who answers at the endpoint: this build's sky server, another build of sky, SkyPilot's own API
// server (which speaks the same headers but not the same API), or something else. Told from the
// first response's headers (no extra request when it is a sky server); only a response without
// the sky build header costs one /api/health probe.
import { VersionMismatchError } from '../core/errors'
import { BUILD_ID, HEADER_API_VERSION, HEADER_BUILD, HEADER_VERSION, VERSION } from '../version'

export type ServerIdentity =
  | { kind: 'sky'; build: string; version: string }
  | { kind: 'skypilot'; version: string; apiVersion: string }
  | { kind: 'unknown' }

/** sky servers before build ids (same project, older binary) answer /api/health with these fields. */
function looksLikeSkyHealth(j: unknown): boolean {
  return !!j && typeof j === 'object' && 'started_at' in j && 'deploy' in j
}

export async function identifyServer(res: Response, baseUrl: string, headers: Record<string, string>): Promise<ServerIdentity> {
  const build = res.headers.get(HEADER_BUILD)
  if (build) return { kind: 'sky', build, version: res.headers.get(HEADER_VERSION) ?? 'unknown' }
  let probe: Response | undefined
  let body: unknown
  try {
    probe = await fetch(baseUrl + '/api/health', { headers, signal: AbortSignal.timeout(2500) })
    body = await probe.json().catch(() => undefined)
  } catch {}
  if (looksLikeSkyHealth(body)) return { kind: 'sky', build: 'unknown', version: (body as { version?: string }).version ?? 'unknown' }
  // SkyPilot sends X-SkyPilot-Version / X-SkyPilot-API-Version on every answer (a version-mismatch
  // 400 included), and its health body carries version_on_disk.
  const from = [res, probe].find((r) => r?.headers.get(HEADER_VERSION))
  const j = (body ?? {}) as { version?: string; api_version?: string | number; version_on_disk?: string; error?: string }
  if (from || 'version_on_disk' in j || j.error === 'version_mismatch') {
    return {
      kind: 'skypilot',
      version: from?.headers.get(HEADER_VERSION) ?? j.version ?? 'unknown',
      apiVersion: String(from?.headers.get(HEADER_API_VERSION) ?? j.api_version ?? 'unknown'),
    }
  }
  return { kind: 'unknown' }
}

export function otherServerError(id: Extract<ServerIdentity, { kind: 'skypilot' | 'unknown' }>, url: string, isLocal: boolean): VersionMismatchError {
  const move = isLocal
    ? `Stop that server, or run sky on another port: SKYPILOT_API_SERVER_ENDPOINT=http://127.0.0.1:<port> sky ...`
    : 'Check the endpoint (sky api info), or log in to a sky API server: sky api login -e <url>'
  if (id.kind === 'skypilot') {
    return new VersionMismatchError(`Another API server (SkyPilot ${id.version}, API version ${id.apiVersion}) answers at ${url}; it is not a sky API server.`, { hint: move })
  }
  return new VersionMismatchError(`${url} did not identify itself as a sky API server.`, { hint: move })
}

/** Another build of sky (both sides built, not `bun run`), worth replacing when it is our local server. */
export function isOtherBuild(id: ServerIdentity): id is Extract<ServerIdentity, { kind: 'sky' }> {
  return id.kind === 'sky' && BUILD_ID !== 'dev' && id.build !== 'dev' && id.build !== BUILD_ID
}

export function describeBuilds(id: Extract<ServerIdentity, { kind: 'sky' }>): string {
  return `it runs sky ${id.version} (build ${id.build}); this client is sky ${VERSION} (build ${BUILD_ID})`
}
