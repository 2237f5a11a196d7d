// What a GCP head node needs to stop or terminate its own instances (autostop / autodown), by
// `gcp.remote_identity`:
//   LOCAL_CREDENTIALS (default)  the API server's own credentials go to the head: the access token
//                                (GOOGLE_OAUTH_ACCESS_TOKEN), or the credentials file (a copy,
//                                0600, in the head's runtime dir); metadata credentials cannot be
//                                copied, so then the API server releases the cluster itself
//   SERVICE_ACCOUNT / <email>    the instances run as that service account (skypilot-v1@<project>
//                                for SERVICE_ACCOUNT) and the head uses the metadata server
//   NO_UPLOAD                    nothing: the API server releases the cluster at its next refresh
// The project and a custom Compute endpoint travel too; the head's credentials never fall back to
// anything else (METADATA_SERVER_DETECTION=none unless the metadata server is the source).
import { readFileSync } from 'node:fs'
import type { NodeRelease } from '../cloud-vm/driver'
import { gcpSettings, type GcpSettings } from './config'
import { gcpContext } from './compute'
import { computeEndpointSetting } from './endpoint'

/** The service account instances run as, or null (none attached). */
export function serviceAccountFor(s: GcpSettings, project: string): string | null {
  if (s.remoteIdentity === 'SERVICE_ACCOUNT') return `skypilot-v1@${project}.iam.gserviceaccount.com`
  if (s.remoteIdentity === 'LOCAL_CREDENTIALS' || s.remoteIdentity === 'NO_UPLOAD') return null
  return s.remoteIdentity
}

export async function nodeReleaseFor(region: string): Promise<NodeRelease | null> {
  const s = gcpSettings()
  if (s.remoteIdentity === 'NO_UPLOAD') return null
  const ctx = await gcpContext().catch(() => null)
  if (!ctx) return null
  const env: Record<string, string> = { GOOGLE_CLOUD_PROJECT: ctx.project, SKY_GCP_REGION: region }
  const ep = computeEndpointSetting()
  if (ep) env.GOOGLE_COMPUTE_CUSTOM_ENDPOINT = ep.value
  if (s.remoteIdentity !== 'LOCAL_CREDENTIALS') return { env: { ...env, METADATA_SERVER_DETECTION: 'assume-present' }, files: [] }
  const auth = ctx.credentials.auth!
  if (auth.kind === 'token') return { env: { ...env, GOOGLE_OAUTH_ACCESS_TOKEN: auth.token, METADATA_SERVER_DETECTION: 'none' }, files: [] }
  if (auth.kind === 'file') {
    let content: string
    try {
      content = readFileSync(auth.path, 'utf8')
    } catch {
      return null
    }
    return {
      env: { ...env, GOOGLE_APPLICATION_CREDENTIALS: '$RELEASE_DIR/gcp-credentials.json', METADATA_SERVER_DETECTION: 'none' },
      files: [{ name: 'gcp-credentials.json', content }],
    }
  }
  return null
}
