// Body fields several operations share.
import { Type as T } from '@sinclair/typebox'

export const ClusterName = T.String({
  minLength: 1,
  maxLength: 63,
  pattern: '^[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$',
  error: 'must be 1-63 letters, digits, -, _ or ., starting and ending with a letter or digit',
  description: 'Cluster name',
})

/** A task or pipeline in SkyPilot's task YAML, as a string (at most 4 MiB). */
export const TaskYaml = T.String({ minLength: 0, maxLength: 4 * 1024 * 1024, description: 'Task YAML (SkyPilot format)' })

export const JobIds = T.Array(T.Integer({ minimum: 1 }), { maxItems: 10_000, description: 'Job ids on the cluster' })

/** What counts as activity for autostop. */
export const WaitFor = T.Union([T.Literal('jobs_and_ssh'), T.Literal('jobs'), T.Literal('none')], { description: 'What counts as activity: jobs_and_ssh (default), jobs, none' })

/**
 * Fields every operation body may carry (the SDK client adds them): the client's config layers
 * (its ~/.sky/config.yaml, project .sky.yaml and --config), applied to this request only.
 */
export const CommonBody = {
  override_skypilot_config: T.Optional(T.Record(T.String(), T.Unknown(), { description: "The client's config layers, applied to this request" })),
}

const UploadId = T.String({ pattern: '^[0-9a-f]{64}$', description: 'sha256 of an uploaded manifest' })

/** Manifests of the files the client uploaded (POST /upload/...) for this request (src/sdk/uploads.ts). */
export const Uploads = T.Object(
  { workdir: T.Optional(UploadId), file_mounts: T.Optional(T.Record(T.String({ maxLength: 4096 }), UploadId, { description: 'Destination → manifest' })) },
  { description: 'Uploaded workdir and file mounts; a deployed server syncs only uploaded files' },
)

/** Paging of list endpoints (src/server/paging.ts): the next page's cursor comes in the X-Sky-Next-Cursor header. */
export const PageQuery = {
  limit: T.Optional(T.Integer({ minimum: 1, maximum: 1000, description: 'Items per page (at most 1000)' })),
  cursor: T.Optional(T.String({ maxLength: 512, description: 'X-Sky-Next-Cursor of the previous page' })),
}

/** The cluster a body names (the `cluster` of cluster operations). */
export const clusterOf = (b: { cluster_name?: string }) => b.cluster_name
