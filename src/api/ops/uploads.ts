// Uploads of workdirs and local file mounts (src/sdk/uploads.ts packs and sends them). Content is
// addressed by sha256 and kept per user, so an unchanged file is never sent twice: ask what the
// server lacks (and where each partly sent blob stopped), send the missing blobs in chunks of at
// most 8 MB, then register the manifest. A request names its manifests (`uploads` in /launch,
// /exec and /jobs/launch); the server syncs only uploaded content to the nodes. Limits:
// api_server.upload_max_mb per upload, api_server.upload_quota_mb per user.
import { Type as T } from '@sinclair/typebox'
import { defineEndpoint } from '../define'
import { UploadMissing, UploadProgress, UploadRegistered } from '../wire'

const impl = () => import('../../server/endpoints/uploads')
const Sha256 = T.String({ pattern: '^[0-9a-f]{64}$', description: 'sha256 of the content (64 hex digits)' })

export const uploadMissing = defineEndpoint({
  name: 'upload.missing',
  route: '/upload/missing',
  method: 'POST',
  tag: 'uploads',
  summary: 'Which of these blobs and manifests the caller has not uploaded yet, and where each partly uploaded blob stopped.',
  access: 'user',
  input: T.Object({
    blobs: T.Optional(T.Array(T.Object({ h: Sha256, s: T.Integer({ minimum: 0, description: 'Size in bytes' }) }), { maxItems: 20_000 })),
    manifests: T.Optional(T.Array(Sha256, { maxItems: 100 })),
  }),
  result: UploadMissing,
  handler: async () => (await impl()).missing,
})

export const uploadBlob = defineEndpoint({
  name: 'upload.blob',
  route: '/upload/blobs/:hash',
  method: 'PUT',
  tag: 'uploads',
  summary: "Append a chunk (the raw body, at most 8 MB) to a blob at `offset`, the end of what arrived so far (409 with details.offset otherwise); the last chunk completes it once its sha256 matches.",
  access: 'user',
  input: T.Object({
    hash: Sha256,
    size: T.Integer({ minimum: 0, description: "The blob's total size in bytes" }),
    offset: T.Optional(T.Integer({ minimum: 0, description: 'Where this chunk starts (default 0)' })),
    bytes: T.Uint8Array({ description: 'The chunk: the request body (application/octet-stream)' }),
  }),
  result: UploadProgress,
  handler: async () => (await impl()).blob,
})

export const uploadManifest = defineEndpoint({
  name: 'upload.manifest',
  route: '/upload/manifests',
  method: 'POST',
  tag: 'uploads',
  summary: 'Register an uploaded manifest once every file it names was uploaded; requests may then name it.',
  access: 'user',
  input: T.Object({ manifest: Sha256 }),
  result: UploadRegistered,
  handler: async () => (await impl()).manifest,
})
