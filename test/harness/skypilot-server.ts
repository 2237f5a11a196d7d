// A stand-in for SkyPilot's own API server, as it answers a client it does not support: no real
// SkyPilot server can run here (its Python package is not installable on this machine), so this
// speaks its wire format for the part that matters to a sky client: every answer carries
// X-SkyPilot-Version / X-SkyPilot-API-Version; a client whose API version is below
// MIN_COMPATIBLE_API_VERSION (24) gets HTTP 400 {"error": "version_mismatch", "message": ...} with
// the coloured "pip install" hint (sky/server/versions.py); a compatible client gets
// /api/health's APIHealthResponse {status, api_version, version, version_on_disk, commit,
// basic_auth_enabled, user}.

export const SKYPILOT_VERSION = '1.0.0-dev0'
export const SKYPILOT_API_VERSION = 53
const MIN_COMPATIBLE_API_VERSION = 24
const COMMIT = '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c'

export function startSkyPilotServer(port: number): { stop(): void; requests: string[] } {
  const requests: string[] = []
  const headers = { 'X-SkyPilot-API-Version': String(SKYPILOT_API_VERSION), 'X-SkyPilot-Version': `${SKYPILOT_VERSION} (commit: ${COMMIT.slice(0, 7)})`, 'content-type': 'application/json' }
  const srv = Bun.serve({
    hostname: '127.0.0.1',
    port,
    fetch(req) {
      const url = new URL(req.url)
      requests.push(`${req.method} ${url.pathname}`)
      const clientApi = Number(req.headers.get('x-skypilot-api-version') ?? '0')
      if (clientApi < MIN_COMPATIBLE_API_VERSION) {
        const message =
          `\u001b[33mYour SkyPilot client version is too old:${req.headers.get('x-skypilot-version') ?? 'unknown'}\n\u001b[0m` +
          `The server is running on ${SKYPILOT_VERSION} (commit: ${COMMIT.slice(0, 7)}) and the minimum compatible version is 0.11.0.\n` +
          `Upgrade your client with:\n\u001b[33mpip install git+https://github.com/skypilot-org/skypilot@${COMMIT.slice(0, 7)}\u001b[0m`
        return new Response(JSON.stringify({ error: 'version_mismatch', message }), { status: 400, headers })
      }
      if (url.pathname === '/api/health') {
        return new Response(
          JSON.stringify({
            status: 'healthy',
            api_version: String(SKYPILOT_API_VERSION),
            version: SKYPILOT_VERSION,
            version_on_disk: SKYPILOT_VERSION,
            commit: COMMIT,
            basic_auth_enabled: false,
            user: { id: 'abcd1234', name: 'someone' },
          }),
          { headers },
        )
      }
      return new Response(JSON.stringify({ detail: 'Not Found' }), { status: 404, headers })
    },
  })
  return { stop: () => srv.stop(true), requests }
}
