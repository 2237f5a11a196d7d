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

export const JobIds = T.Array(T.Integer({ minimum: 1 }), { description: 'Job ids on the cluster' })

/** What counts as activity for autostop. */
export const WaitFor = T.Union([T.Literal('jobs_and_ssh'), T.Literal('jobs'), T.Literal('none')], { description: 'What counts as activity: jobs_and_ssh (default), jobs, none' })

/**
 * Fields every operation body may carry (the SDK client adds them): the client's config layers
 * (its ~/.sky/config.yaml, project .sky.yaml and --config), applied to this request only.
 */
export const CommonBody = {
  override_skypilot_config: T.Optional(T.Record(T.String(), T.Unknown(), { description: "The client's config layers, applied to this request" })),
}

/** The cluster a body names (the `cluster` of cluster operations). */
export const clusterOf = (b: { cluster_name?: string }) => b.cluster_name
