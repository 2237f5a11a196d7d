// Uploads of workdirs and local file mounts (what the client packs: src/sdk/uploads.ts). Content
// is addressed by sha256 and kept per user, so an unchanged file is never sent twice:
//   POST /upload/missing    {blobs: [{h, s}], manifests: [h]} → what the server lacks, and the
//                           offset each partly uploaded blob reached (resume from there)
//   PUT  /upload/blobs/<h>?size=S&offset=O   raw bytes, at most 8 MB per chunk
//   POST /upload/manifests  {manifest: h} → checks the manifest blob and every file it names
// A request then names the manifest (`uploads` in /launch and /exec); the server syncs only
// uploaded content to the nodes. Limits: api_server.upload_max_mb per upload,
// api_server.upload_quota_mb per user.
import { Elysia, t } from 'elysia'
import { ValidationError } from '../../core/errors'
import type { AppDeps } from '../context'
import { intParam } from '../paging'

const hash = t.String({ pattern: '^[0-9a-f]{64}$' })

export function uploadRoutes(d: AppDeps) {
  const uploads = () => d.uploads
  return new Elysia()
    .post(
      '/upload/missing',
      async ({ request, body }) => {
        const who = await d.identify(request)
        return uploads().missing(who.id, body.blobs ?? [], body.manifests ?? [])
      },
      {
        body: t.Object({
          blobs: t.Optional(t.Array(t.Object({ h: hash, s: t.Integer({ minimum: 0 }) }), { maxItems: 20_000 })),
          manifests: t.Optional(t.Array(hash, { maxItems: 100 })),
        }),
      },
    )
    .put(
      '/upload/blobs/:hash',
      async ({ request, params, query, body }) => {
        const who = await d.identify(request)
        const size = intParam(query.size, 'size', { min: 0, max: Number.MAX_SAFE_INTEGER, def: -1 })
        if (size < 0) throw new ValidationError([{ path: 'size', message: 'give the blob\'s total size (?size=N)' }])
        const offset = intParam(query.offset, 'offset', { min: 0, max: size, def: 0 })
        const bytes = (body as { bytes?: Uint8Array } | undefined)?.bytes ?? new Uint8Array(0)
        return uploads().putChunk(who.id, params.hash, size, offset, bytes)
      },
      { query: t.Object({ size: t.Optional(t.String()), offset: t.Optional(t.String()) }) },
    )
    .post(
      '/upload/manifests',
      async ({ request, body }) => {
        const who = await d.identify(request)
        return { manifest: body.manifest, ...(await uploads().registerManifest(who.id, body.manifest)) }
      },
      { body: t.Object({ manifest: hash }) },
    )
}
