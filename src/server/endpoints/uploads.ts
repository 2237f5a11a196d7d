// Handlers of the upload endpoints (src/api/ops/uploads.ts): each user's own content store.
import type { UploadMissing, UploadProgress, UploadRegistered } from '../../api/wire'
import type { EndpointContext as Ctx } from '../ops/types'

export const missing = ({ deps, who }: Ctx, b: { blobs?: { h: string; s: number }[]; manifests?: string[] }): Promise<UploadMissing> =>
  deps.uploads.missing(who.id, b.blobs ?? [], b.manifests ?? [])

export const blob = ({ deps, who }: Ctx, q: { hash: string; size: number; offset?: number; bytes: Uint8Array }): Promise<UploadProgress> =>
  deps.uploads.putChunk(who.id, q.hash, q.size, q.offset ?? 0, q.bytes)

export async function manifest({ deps, who }: Ctx, b: { manifest: string }): Promise<UploadRegistered> {
  return { manifest: b.manifest, ...(await deps.uploads.registerManifest(who.id, b.manifest)) }
}
