// The public SDK: `import { launch, streamAndGet, down } from 'sky/sdk'`. Each operation submits a
// request and returns its typed request id; `get`, `stream` and `streamAndGet` finish it (SkyPilot's
// sky.get / sky.stream_and_get). Bodies and results use the wire types (snake_case, times in
// seconds). Every call takes an optional `{ client }`; without it the default client is used
// (SKYPILOT_API_SERVER_ENDPOINT, then `api_server.endpoint` in config, then a local server that is
// started on first use).
export * from '../api/ops/clusters'
export * from '../api/ops/jobs'
export * from '../api/ops/catalog'
export * from '../api/ops/infra'
export { apiCancel, apiGet, apiStatus, health } from '../api/ops/requests'
export * from '../api/ops/users'
export * from '../api/ops/uploads'
export type { RequestId, CallOptions, BodyOf, ResultOf } from '../api/define'
export type * from '../api/wire'
export { get, pages, stream, streamAndGet, tailLogs, type ClientOption } from './requests'
export { SkyClient, type ClientOptions } from './client'
export { defaultClient, setDefaultClient } from './default-client'
export { resolveEndpoint, parseEndpoint, type Endpoint } from './endpoint'
export * from '../core/errors'
export { uploadTaskFiles, packPath, uploadPacked, type UploadRefs, type UploadStats } from './uploads'
// Managed jobs as a namespace, as SkyPilot's sky.jobs: jobs.launch({ task }), jobs.queue(), ...
export * as jobs from '../api/ops/managed-jobs'
// Services as a namespace, as SkyPilot's sky.serve: serve.up({ task, service_name }), serve.status(), ...
export * as serve from '../api/ops/serve'
