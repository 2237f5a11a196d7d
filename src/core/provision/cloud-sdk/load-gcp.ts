// Loads the GCP adapter (./gcp.ts) where a GCP provisioner runs, never in the CLI. As ./load.ts does
// for the AWS bundle: from source a plain dynamic import; in the compiled binary
// scripts/build-cloud-sdk.ts swaps this file for one that imports the separately built
// dist/cloud-sdk-gcp.js (embedded in the binary) by its path. GCP has a bundle of its own: its
// client library takes most of a second to load, which AWS-only servers should never pay.
export type GcpSdk = typeof import('./gcp')

let loading: Promise<GcpSdk> | undefined

export function loadGcpSdk(): Promise<GcpSdk> {
  loading ??= import('./gcp')
  loading.catch(() => (loading = undefined))
  return loading
}
