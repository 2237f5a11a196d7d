// GCP credential sources held to the Compute test server through sky's own check (a real
// regions.list call), with a stand-in GCE metadata server (GCE_METADATA_HOST) that records every
// request: an access token or a credentials file never touches the metadata server; with nothing
// configured nothing is asked at all; only METADATA_SERVER_DETECTION makes the metadata server the
// source, and then its token and project are used. The endpoint comes from the environment or
// from gcp.compute_endpoint.
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resetConfig } from '../../../src/core/config'
import { checkGcp } from '../../../src/core/provision/gcp/check'
import { setEnv } from '../../harness/cloud/env'
import { createGceServer, type GceServer } from '../../harness/gce/server'

let gce: GceServer
let metadata: ReturnType<typeof Bun.serve>
let hits: string[] = []
let home: string

beforeAll(() => {
  gce = createGceServer()
  home = mkdtempSync(join(tmpdir(), 'sky-gcp-creds-'))
  metadata = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname
      hits.push(path)
      if (req.headers.get('metadata-flavor') !== 'Google') return new Response('missing Metadata-Flavor', { status: 403 })
      const headers = { 'metadata-flavor': 'Google' }
      if (path === '/computeMetadata/v1/instance/service-accounts/default/token') return Response.json({ access_token: gce.token, expires_in: 3600, token_type: 'Bearer' }, { headers })
      if (path === '/computeMetadata/v1/project/project-id') return new Response(gce.project, { headers })
      return new Response('not found', { status: 404, headers })
    },
  })
})
afterAll(async () => {
  metadata?.stop(true)
  await gce?.stop()
  rmSync(home, { recursive: true, force: true })
})
beforeEach(() => {
  hits = []
})

const env = (extra: Record<string, string>) => ({ HOME: home, GCE_METADATA_HOST: `127.0.0.1:${metadata.port}`, GOOGLE_COMPUTE_CUSTOM_ENDPOINT: gce.baseUrl, ...extra })
const check = (extra: Record<string, string>) => checkGcp({ env: env(extra), home, validate: true })

test('an access token is used as it is: the metadata server is never asked', async () => {
  const c = await check({ GOOGLE_OAUTH_ACCESS_TOKEN: gce.token, GOOGLE_CLOUD_PROJECT: gce.project })
  expect(c).toMatchObject({ enabled: true, capabilities: ['compute'] })
  expect(c.regions).toEqual(['asia-east1', 'europe-west4', 'us-central1', 'us-east1', 'us-east4', 'us-west1'])
  expect(hits).toEqual([])
  const wrong = await check({ GOOGLE_OAUTH_ACCESS_TOKEN: 'expired-token', GOOGLE_CLOUD_PROJECT: gce.project })
  expect(wrong.enabled).toBe(false)
  expect(wrong.reason).toContain('credentials refused: Request had invalid authentication credentials')
  expect(hits).toEqual([])
}, 30_000)

test('nothing configured: not enabled, with what to do, and nothing asked of anyone', async () => {
  const before = gce.calls.length
  const c = await check({})
  expect(c.enabled).toBe(false)
  expect(c.reason).toContain('gcloud auth application-default login')
  expect(hits).toEqual([])
  expect(gce.calls.length).toBe(before)
})

test('a credentials file is the source named; it is never traded for the metadata server', async () => {
  const key = join(home, 'sa.json')
  writeFileSync(key, JSON.stringify({ type: 'service_account', project_id: 'svc-proj', client_email: 'bot@svc-proj.iam.gserviceaccount.com', private_key: 'not a key' }))
  const c = await check({ GOOGLE_APPLICATION_CREDENTIALS: key })
  expect(c.enabled).toBe(false)
  expect(c.reason).toContain('GOOGLE_APPLICATION_CREDENTIALS')
  expect(c.reason).toContain("bot@svc-proj.iam.gserviceaccount.com), project 'svc-proj'")
  // The key cannot sign: refused before any request leaves the machine.
  expect(c.reason).toContain('GCP credentials: error:0900006e:PEM routines')
  expect(hits).toEqual([])
}, 30_000)

test('METADATA_SERVER_DETECTION=assume-present: the metadata server gives the token and the project', async () => {
  // Google's metadata client reads these from the process environment itself.
  const restore = setEnv({ METADATA_SERVER_DETECTION: 'assume-present', GCE_METADATA_HOST: `127.0.0.1:${metadata.port}` })
  let c: Awaited<ReturnType<typeof check>>
  try {
    c = await check({ METADATA_SERVER_DETECTION: 'assume-present' })
  } finally {
    restore()
  }
  expect(c.reason).not.toContain('invalid')
  expect(c.enabled).toBe(true)
  expect(c.reason).toContain(`the VM's service account (GCE metadata server), project '${gce.project}'`)
  expect(hits).toContain('/computeMetadata/v1/instance/service-accounts/default/token')
  expect(hits).toContain('/computeMetadata/v1/project/project-id')
}, 30_000)

test('gcp.compute_endpoint in the config (the host:port form) when GOOGLE_COMPUTE_CUSTOM_ENDPOINT is not set', async () => {
  const file = join(process.env.SKY_HOME!, 'config.yaml')
  writeFileSync(file, `gcp:\n  compute_endpoint: ${gce.endpoint}\n`)
  resetConfig()
  try {
    const { GOOGLE_COMPUTE_CUSTOM_ENDPOINT: _, ...rest } = env({ GOOGLE_OAUTH_ACCESS_TOKEN: gce.token, GOOGLE_CLOUD_PROJECT: gce.project })
    const c = await checkGcp({ env: rest, home, validate: true })
    expect(c.enabled).toBe(true)
    expect(c.reason).toContain(`validated with Compute regions.list at ${gce.endpoint} (6 regions)`)
  } finally {
    rmSync(file, { force: true })
    resetConfig()
  }
}, 30_000)
