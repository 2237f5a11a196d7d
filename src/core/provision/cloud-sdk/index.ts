// The AWS SDK and Kubernetes client bundle's entry. scripts/build-cloud-sdk.ts bundles this file
// on its own (dist/cloud-sdk.js) and embeds it in the binary; ./load.ts loads it. GCP's client
// library is large enough to have a bundle of its own (./gcp.ts, loaded by ./load-gcp.ts). Only
// these adapters may import a cloud SDK.
export * as aws from './aws'
export * as kubernetes from './kubernetes'
