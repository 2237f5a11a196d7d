// Cluster operations: the one way anything (request handlers, the managed-jobs and serve
// controllers) makes, uses, inspects or removes a cluster. Built on the provisioner contract
// (src/core/provision/types.ts); nothing here knows a particular infra.
//
// Every operation takes an OpsContext { store, actor, signal, log, write, owner }. `owner` is the
// cluster-lock owner and the default idempotency key of submitted jobs: pass the request id, or a
// stable id of your own (e.g. `mj-<job>-<task>-<attempt>`), and the same call repeated after a
// crash resumes instead of doing the work twice.
//
//   ensureCluster(ctx, { name, task, retryUntilUp?, blocked?, command?, purpose? })
//       → { cluster, request, outcome: 'created'|'started'|'resumed'|'existing', blocked }
//     Idempotent, under the cluster's lease lock (held across API server replicas). UP + fits →
//     reused; STOPPED → started with exactly its launched resources (no failover); INIT from an
//     interrupted launch → resumed; else the optimizer's candidates with failover by cause:
//     capacity → next zone (live infra: plan around the failed node), quota → next region,
//     auth/config/unsupported → next infra, fatal → stop. `blocked` goes in (places to avoid,
//     e.g. where a managed job was preempted) and comes out grown by every failure. The row (INIT
//     + launched resources) is written before the provider is asked; failed attempts are
//     terminated by tag. Capacity that cannot fit (e.g. `--num-nodes 100000` on local) is refused
//     by the optimizer before anything is made (ResourcesUnavailableError, exit 3).
//   submitJob(ctx, cluster, task, { key?, setup, request?, taskId? }) → { jobId, existing }
//     The agent deduplicates `key` (default ctx.owner): a repeat returns the first job.
//   runJob(ctx, cluster, task, { ...submit, detach, afterSubmit? }) → { job_id, job_status, exit_code }
//     Submit + follow the log to the end; cancelling ctx.signal cancels the job.
//   jobByKey(handle, key) → { jobId | null, status }       jobInfo(handle, jobId) → JobInfo
//   cancelByKey(handle, key)   queue / cancelJobs / jobStatus / tailLogs(store, name, actor, ...)
//   queryCluster(store, name) → NodeStatus[]              each node as the provider sees it
//   refreshCluster(store, record, { owner, busy?, log? }) → record | null (null: terminated)
//     Provider query + agent health with retries; INIT recovers to UP; a dead agent is restarted
//     (it re-adopts or fails its jobs); nodes reported gone → record removed.
//   stopCluster / startCluster / downCluster(ctx, name, { purge? }) / setAutostop(ctx, name, min, down)
//     All under the lock. down kills and verifies every process before the record goes.
//   syncFiles(handle, task, log, { fileMounts })            workdir → ~/sky_workdir, local file_mounts, every node
//   launch(ctx, LaunchBody) / exec(ctx, ExecBody)          the `sky launch` / `sky exec` requests
//
// Managed jobs: ensureCluster with your blocked list, submitJob with your key, poll jobByKey /
// jobInfo, queryCluster to tell preemption (nodes 'terminated'/'stopped') from a network blip
// ('unknown'), downCluster when done. Local clusters are cheap: their agents share one resident
// host process and are called in-process.
export type { OpsContext } from './context'
export type { Actor } from './record'
export { ensureCluster, startRecord, type EnsureRequest, type EnsureResult } from './ensure'
export { submitJob, runJob, jobByKey, jobInfo, cancelByKey, queue, cancelJobs, jobStatus, tailLogs, exec, upCluster, type JobOutcome, type SubmitOptions, type ExecBody } from './jobs'
export { refreshCluster, refreshClusters, type RefreshOptions } from './refresh'
export { stopCluster, startCluster, downCluster, setAutostop } from './lifecycle'
export { launch, type LaunchBody, type LaunchResult } from './launch'
export { planFor, singleTask } from './plan'
export { queryCluster } from './query'
export { getOwnedCluster, handleOf, launchedOf, refOf } from './record'
export { withClusterLock, withClusterLockOrFail } from './lock'
export { syncFiles } from './sync'
export { agentHealth, withAgent, type AgentHealth } from './agent'
