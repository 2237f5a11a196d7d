// Loads the cloud SDK adapters (./index.ts) where a provisioner runs, never in the CLI.
//
// From source (bun test, bun src/main.ts) this is a plain dynamic import. In the compiled binary
// scripts/build.ts replaces this file with one that imports the separately built bundle
// (dist/cloud-sdk.js, embedded `with { type: 'file' }`) by its path inside the binary: a dynamic
// import() of a module that is part of the main bundle would still put the SDKs into the CLI's
// module graph and cost every start-up (design.md, start-up budget).
export type CloudSdk = typeof import('./index')

let loading: Promise<CloudSdk> | undefined

export function loadCloudSdk(): Promise<CloudSdk> {
  loading ??= import('./index')
  loading.catch(() => (loading = undefined))
  return loading
}
