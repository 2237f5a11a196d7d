// One-line descriptions of the top-level commands. Kept apart from the command modules so that
// `sky --help` lists every command without loading any of them (each module pulls in its SDK,
// renderers and task parser).
export const DESCRIPTIONS = {
  launch: 'Launch a cluster and run a task on it (ENTRYPOINT: task YAML or a command).',
  exec: 'Run a task on an existing cluster (ENTRYPOINT: task YAML or a command).',
  status: 'Show clusters.',
  queue: 'Show the job queue of clusters.',
  logs: "Stream a job's logs from a cluster.",
  cancel: 'Cancel jobs on a cluster.',
  stop: 'Stop clusters (their disks are kept; sky start brings them back).',
  start: 'Restart stopped clusters.',
  down: 'Tear down clusters and everything on them.',
  autostop: 'Stop (or tear down) clusters after they are idle for a while.',
  check: 'Check which infra is usable (credentials, SSH pools, kubeconfig).',
  gpus: 'GPUs offered by your infra.',
  'show-gpus': 'Alias of sky gpus list.',
  jobs: 'Managed jobs: a cluster per task, recovered from preemption and failures.',
  serve: 'Services: replicas behind a load balancer endpoint, autoscaled and updated in place.',
  ssh: 'Set up or clean SSH node pools (~/.sky/ssh_node_pools.yaml).',
  api: 'Manage the API server and its requests.',
  dashboard: 'Print the web dashboard URL and open it in a browser.',
  users: 'Manage users, roles and service-account tokens (deployed API server).',
} as const

export type CommandName = keyof typeof DESCRIPTIONS
