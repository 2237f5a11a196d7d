// `sky jobs launch` on the server: validate the DAG (nothing is recorded when it is invalid),
// then record the job PENDING with one row per task. The controller takes it from there.
import { ValidationError } from '../errors'
import type { Store } from '../state/store'
import { checkRequiredValues } from '../task/overrides'
import { parseDag } from '../task/dag-parse'
import { serializeDag } from '../task/serialize'
import type { Dag } from '../task/types'
import type { UploadRefs } from '../uploads/sources'
import { nameDag, requestedResources } from './naming'
import { jobIssues } from './recovery'

export interface JobsLaunchBody {
  /** Task YAML (one document, or a pipeline of several). */
  task: string
  /** Job name (`-n`); for a single task also the task's name. */
  name?: string
  /** The command line, for display. */
  entrypoint?: string
  /** The client's config layers (sent by the SDK with every request); the job's launches use them. */
  override_skypilot_config?: Record<string, unknown>
  /** Per task, the workdir and file mounts the client uploaded (what a deployed server syncs). */
  uploads?: (UploadRefs | null)[]
}

export interface JobSubmitter {
  id: string
  name: string
  role?: string
}

/** Parse and check a job's YAML; throws ValidationError naming each bad field. */
export function validateJobDag(yaml: string, name?: string): Dag {
  const dag = parseDag(yaml)
  if (!dag.tasks.length) throw new ValidationError([{ path: 'task', message: 'the YAML has no task' }])
  checkRequiredValues(dag)
  const issues = jobIssues(dag)
  if (issues.length) throw new ValidationError(issues)
  if (name !== undefined && !name.trim()) throw new ValidationError([{ path: 'name', message: 'must not be empty' }])
  return nameDag(dag, name)
}

export async function submitJob(store: Store, who: JobSubmitter, body: JobsLaunchBody, requestId: string | null): Promise<{ job_id: number; name: string }> {
  const dag = validateJobDag(body.task, body.name)
  const priority = Math.max(...dag.tasks.map((t) => t.resources.candidates.find((c) => c.priority !== undefined)?.priority ?? 0))
  const jobId = await store.managedJobs.insert({
    name: dag.name!,
    userId: who.id,
    userName: who.name,
    userRole: who.role ?? null,
    workspace: 'default',
    dagYaml: serializeDag(dag, { redactSecrets: false }),
    priority,
    entrypoint: body.entrypoint ?? null,
    requestId,
    config: body.override_skypilot_config ?? null,
    uploads: body.uploads ?? null,
    tasks: dag.tasks.map((t) => ({ taskName: t.name ?? null, resources: requestedResources(t) })),
  })
  return { job_id: jobId, name: dag.name! }
}
