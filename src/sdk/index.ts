// The public SDK: `import { SkyClient, status, ... } from 'sky/sdk'`. Every operation returns a
// request id; use `get`, `stream` or `streamAndGet` to finish it.
export { SkyClient, type RequestPayload, type HealthInfo, type ClientOptions } from './client'
export { resolveEndpoint, parseEndpoint, type Endpoint } from './endpoint'
export * from './ops'
export * from '../core/errors'
export * from './users'
export { uploadTaskFiles, packPath, uploadPacked, type UploadRefs, type UploadStats } from './uploads'
export * as jobs from './jobs'
