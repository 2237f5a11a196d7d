// The cloud SDK bundle's entry: every adapter that imports a cloud SDK. scripts/build.ts bundles
// this file on its own (dist/cloud-sdk.js) and embeds it in the binary; ./load.ts loads it.
// Add a cloud's adapter here (one namespace per cloud); nothing else may import a cloud SDK.
export * as aws from './aws'
