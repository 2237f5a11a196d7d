// The node agent ("skylet"): `sky _agent <subcommand>` on a cluster's head node.
export { runAgent, defaultIO, type AgentIO } from './cli'
export { selfCommand } from '../../lib/self-exec'
export { RunnerPool, type RunnerFactory } from './remote'
export { AgentDaemon, runDaemon } from './daemon'
export { exitCodeForStatus } from './logs'
export type { ClusterSpec, NodeSpec, NodeCapacity, SubmitSpec, JobInfo, JobStatus, AutostopConfig, WaitFor } from './types'
export { JOB_STATUSES, TERMINAL_STATUSES, JobExitCode } from './types'
