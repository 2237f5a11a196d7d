import { describe, expect, test } from 'bun:test'
import { formatIssue, ValidationError } from '../../../src/core/errors'
import { parseDag } from '../../../src/core/task/dag-parse'
import { issuesOf, yamlIssues } from './helpers'

describe('exact messages', () => {
  test.each([
    ['resources:\n  accelerators: A100:x\n', "resources.accelerators: 'A100:x' — count must be a number, e.g. A100:8"],
    ['num_nodes: -1\n', 'num_nodes: -1 — must be a positive integer'],
    ['resources:\n  acelerators: A100\n', "resources.acelerators: unknown field; did you mean 'accelerators'?"],
    ['nmae: x\n', "nmae: unknown field; did you mean 'name'?"],
    ['resources:\n  use_spot: maybe\n', "resources.use_spot: 'maybe' — must be true or false"],
  ])('%j', (yaml, message) => {
    const issues = yamlIssues(yaml)
    expect(issues.map(formatIssue)).toEqual([message])
  })
})

// [yaml, expected issue path, a fragment of the message]
const CASES: Array<[string, string, string]> = [
  // top level
  ['- run: a\n', 'task', 'must be a mapping'],
  ['42\n', 'task', 'must be a mapping'],
  ['name: "my task"\n', 'name', "'my task'"],
  ['name: [a]\n', 'name', 'letters/digits'],
  ['name: -bad-\n', 'name', 'letters/digits'],
  ['num_nodes: 0\n', 'num_nodes', 'positive integer'],
  ['num_nodes: 1.5\n', 'num_nodes', 'positive integer'],
  ['num_nodes: "2"\n', 'num_nodes', 'positive integer'],
  ['run: [echo, hi]\n', 'run', 'string of bash commands'],
  ['setup: {a: 1}\n', 'setup', 'string of bash commands'],
  ['workdir: ""\n', 'workdir', 'local directory'],
  ['workdir: 5\n', 'workdir', 'local directory'],
  ['workdir: {ref: main}\n', 'workdir.url', 'is required'],
  ['workdir: {url: x, branch: main}\n', 'workdir.branch', 'unknown field'],
  ['envs: [A=1]\n', 'envs', 'mapping'],
  ['envs: {1BAD: x}\n', "envs['1BAD']", 'not a valid environment variable name'],
  ['envs: {"MY-VAR": x}\n', 'envs.MY-VAR', 'not a valid environment variable name'],
  ['envs: {A: [1, 2]}\n', 'envs.A', 'must be a string, number or boolean'],
  ['envs: {A: {b: c}}\n', 'envs.A', 'must be a string, number or boolean'],
  ['secrets: {TOKEN: [x]}\n', 'secrets.TOKEN', 'must be a string'],
  ['secrets: [HF_TOKEN]\n', 'secrets[0]', 'secrets:HF_TOKEN'],
  ['secrets: {"secrets:X": val}\n', "secrets['secrets:X']", 'null value'],
  ['secrets: 5\n', 'secrets', 'mapping'],
  ['managed_secrets: [5]\n', 'managed_secrets[0]', 'secret name'],
  ['managed_secrets: [{K: {path: /x}}]\n', 'managed_secrets[0].K.path', 'unknown field'],
  ['file_mounts: [a]\n', 'file_mounts', 'mapping'],
  ['file_mounts: {/a: 5}\n', "file_mounts['/a']", 'local path'],
  ['file_mounts: {/a: ""}\n', "file_mounts['/a']", 'local path'],
  ['file_mounts: {/a: {mode: MOUNT}}\n', "file_mounts['/a']", "needs 'name'"],
  ['file_mounts: {/a: {name: b, mode: FUSE}}\n', "file_mounts['/a'].mode", 'MOUNT, COPY, MOUNT_CACHED'],
  ['file_mounts: {/a: {name: b, store: dropbox}}\n', "file_mounts['/a'].store", 's3, gcs'],
  ['file_mounts: {/a: {name: b, sorce: x}}\n', "file_mounts['/a'].sorce", "did you mean 'source'"],
  ['file_mounts: {/a: {source: []}}\n', "file_mounts['/a'].source", 'non-empty list'],
  ['file_mounts: {/a: {name: b, persistent: "no way"}}\n', "file_mounts['/a'].persistent", 'true or false'],
  ['service: 5\n', 'service', 'mapping'],
  ['service: {replicas: two}\n', 'service.replicas', 'whole number'],
  ['service: {readiness_probe: health}\n', 'service.readiness_probe', "starting with '/'"],
  ['service: {readiness_probe: {initial_delay_seconds: 5}}\n', 'service.readiness_probe.path', 'is required'],
  ['service: {replica_policy: {max_replicas: 3}}\n', 'service.replica_policy.min_replicas', 'is required'],
  ['service: {replica_policy: {min_replicas: 3, max_replicas: 1}}\n', 'service.replica_policy.max_replicas', '>= min_replicas'],
  ['service: {replicas: 2, replica_policy: {min_replicas: 1}}\n', 'service.replicas', "replica_policy"],
  ['service: {load_balancing_policy: 5}\n', 'service.load_balancing_policy', 'least_load'],
  ['service: {replica_policy: {min_replicas: 1, target_qps_per_replica: {"h100 x": 1}}}\n', 'service.replica_policy.target_qps_per_replica', 'accelerator'],
  ['service: {tls: {keyfile: k}}\n', 'service.tls.certfile', 'is required'],
  ['service: {readiness_probe: /h, replica: 1}\n', 'service.replica', "did you mean 'replicas'"],
  ['service: {replicas: 1}\npool: {workers: 1}\n', 'pool', "'service'"],
  ['pool: {workers: -1}\n', 'pool.workers', '>= 0'],
  ['pool: {wokers: 1}\n', 'pool.wokers', "did you mean 'workers'"],
  ['config: [a]\n', 'config', 'mapping'],
  ['config: {hooks: [{events: [stop]}]}\n', 'config.hooks[0].run', 'is required'],
  ['config: {hooks: [{run: x, events: [reboot]}]}\n', 'config.hooks[0].events', 'stop, preemption, down'],
  ['config: {hooks: [{run: x, timeout: 0}]}\n', 'config.hooks[0].timeout', '>= 1'],
  ['volumes: [a]\n', 'volumes', 'mapping'],
  ['volumes: {/mnt: 5}\n', "volumes['/mnt']", 'volume name'],
  ['api_server_access: "yes please"\n', 'api_server_access', 'true or false'],
  ['event_callback: [x]\n', 'event_callback', 'string'],
  ['inputs: {a: 1, b: 2}\n', 'inputs', 'one-key mapping'],
  // resources
  ['resources: [a]\n', 'resources', 'mapping'],
  ['resources: {infra: mars}\n', 'resources.infra', "unknown infra 'mars'"],
  ['resources: {infra: asw/us-east-1}\n', 'resources.infra', "did you mean 'aws'"],
  ['resources: {infra: aws//x}\n', 'resources.infra', 'empty parts'],
  ['resources: {infra: aws/a/b/c}\n', 'resources.infra', '4 parts'],
  ['resources: {infra: 5}\n', 'resources.infra', 'string'],
  ['resources: {infra: aws, region: us-east-1}\n', 'resources.region', "cannot be combined with 'infra'"],
  ['resources: {cloud: gpc}\n', 'resources.cloud', "did you mean 'gcp'"],
  ['resources: {cloud: ""}\n', 'resources.cloud', 'non-empty string'],
  ['resources: {cpus: many}\n', 'resources.cpus', "'+' for 'at least'"],
  ['resources: {cpus: -2}\n', 'resources.cpus', 'positive number'],
  ['resources: {cpus: 0}\n', 'resources.cpus', 'positive number'],
  ['resources: {cpus: "4++"}\n', 'resources.cpus', 'positive number'],
  ['resources: {cpus: true}\n', 'resources.cpus', 'positive number'],
  ['resources: {memory: lots}\n', 'resources.memory', 'size in GB'],
  ['resources: {memory: 16XB}\n', 'resources.memory', 'size in GB'],
  ['resources: {accelerators: ":4"}\n', 'resources.accelerators', 'name an accelerator'],
  ['resources: {accelerators: "A100:0"}\n', 'resources.accelerators', 'count must be a positive number'],
  ['resources: {accelerators: "A100:-1"}\n', 'resources.accelerators', 'count must be a positive number'],
  ['resources: {accelerators: "A100:1:2:3"}\n', 'resources.accelerators', 'NAME or NAME:COUNT'],
  ['resources: {accelerators: {A100: eight}}\n', 'resources.accelerators', 'count must be a number'],
  ['resources: {accelerators: {A100: 0}}\n', 'resources.accelerators', 'positive number'],
  ['resources: {accelerators: [A100, 5]}\n', 'resources.accelerators', 'list items must be strings'],
  ['resources: {accelerators: [{A100: 0}]}\n', 'resources.accelerators', 'positive number'],
  ['resources: {accelerators: [{}]}\n', 'resources.accelerators', 'list items must be strings'],
  ['resources: {accelerators: 8}\n', 'resources.accelerators', 'must be a string'],
  ['resources: {accelerators: A100, gpus: H100}\n', 'resources.gpus', 'alias'],
  ['resources: {accelerator_args: {tpu_vm: maybe}}\n', 'resources.accelerator_args.tpu_vm', 'true or false'],
  ['resources: {accelerator_args: {runtime: x}}\n', 'resources.accelerator_args.runtime', "did you mean 'runtime_version'"],
  ['resources: {accelerator_args: 5}\n', 'resources.accelerator_args', 'mapping'],
  ['resources: {instance_type: 5}\n', 'resources.instance_type', 'non-empty string'],
  ['resources: {disk_size: big}\n', 'resources.disk_size', 'whole number of GB'],
  ['resources: {disk_size: -5}\n', 'resources.disk_size', 'whole number of GB'],
  ['resources: {disk_size: 100.5}\n', 'resources.disk_size', 'not whole'],
  ['resources: {disk_size: 100XB}\n', 'resources.disk_size', 'whole number of GB'],
  ['resources: {disk_size: 500MB}\n', 'resources.disk_size', 'rounds down to 0 GB'],
  ['resources: {termination_hook: {timeout: 60}}\n', 'resources.termination_hook.command', 'is required'],
  ['resources: {termination_hook: {command: x, timeout: 0}}\n', 'resources.termination_hook.timeout', 'seconds >= 1'],
  ['resources: {termination_hook: {command: x, when: stop}}\n', 'resources.termination_hook.when', 'unknown field'],
  ['resources: {termination_hook: "echo hi"}\n', 'resources.termination_hook', 'mapping {command, timeout}'],
  ['resources: {disk_tier: fast}\n', 'resources.disk_tier', 'low, medium, high, ultra, best'],
  ['resources: {network_tier: premium}\n', 'resources.network_tier', 'standard, best'],
  ['resources: {local_disk: huge}\n', 'resources.local_disk', 'nvme'],
  ['resources: {max_hourly_cost: 0}\n', 'resources.max_hourly_cost', 'greater than 0'],
  ['resources: {max_hourly_cost: cheap}\n', 'resources.max_hourly_cost', 'greater than 0'],
  ['resources: {ports: 70000}\n', 'resources.ports', "'70000' is not a valid port"],
  ['resources: {ports: "9000-8000"}\n', 'resources.ports', 'not a valid range'],
  ['resources: {ports: [http]}\n', 'resources.ports', "'http' is not a valid port"],
  ['resources: {ports: {a: 1}}\n', 'resources.ports', 'must be a port'],
  ['resources: {image_id: ""}\n', 'resources.image_id', 'image id'],
  ['resources: {image_id: {us-east-1: 5}}\n', 'resources.image_id.us-east-1', 'image id string'],
  ['resources: {image_id: [a]}\n', 'resources.image_id', 'image id'],
  ['resources: {labels: [a]}\n', 'resources.labels', 'mapping'],
  ['resources: {labels: {a: [b]}}\n', 'resources.labels.a', 'must be a string'],
  ['resources: {autostop: soon}\n', 'resources.autostop', 'duration like 30m'],
  ['resources: {autostop: -5}\n', 'resources.autostop', 'idle minutes'],
  ['resources: {autostop: 5s}\n', 'resources.autostop', 'duration'],
  ['resources: {autostop: {idle_minutes: x}}\n', 'resources.autostop.idle_minutes', 'whole number of minutes'],
  ['resources: {autostop: {wait_for: ssh}}\n', 'resources.autostop.wait_for', 'jobs_and_ssh, jobs, none'],
  ['resources: {autostop: {down: 1}}\n', 'resources.autostop.down', 'true or false'],
  ['resources: {autostop: {hook_timeout: 0}}\n', 'resources.autostop.hook_timeout', '>= 1'],
  ['resources: {autostop: {idle: 5}}\n', 'resources.autostop.idle', 'unknown field'],
  ['resources: {autostop: [5]}\n', 'resources.autostop', 'mapping'],
  ['resources: {priority: 2000}\n', 'resources.priority', '-1000 to 1000'],
  ['resources: {priority: 1.5}\n', 'resources.priority', '-1000 to 1000'],
  ['resources: {priority: high}\n', 'resources.priority', '-1000 to 1000'],
  ['resources: {job_recovery: 5}\n', 'resources.job_recovery', 'strategy name'],
  ['resources: {job_recovery: {max_restarts_on_errors: -1}}\n', 'resources.job_recovery.max_restarts_on_errors', '>= 0'],
  ['resources: {job_recovery: {recover_on_exit_codes: [300]}}\n', 'resources.job_recovery.recover_on_exit_codes', '0-255'],
  ['resources: {job_recovery: {recover_on_exit_codes: [1, 1]}}\n', 'resources.job_recovery.recover_on_exit_codes', 'repeat'],
  ['resources: {job_recovery: x, spot_recovery: y}\n', 'resources.spot_recovery', 'job_recovery'],
  ['resources: {volumes: {a: b}}\n', 'resources.volumes', 'list of disk volumes'],
  ['resources: {volumes: [{name: x}]}\n', 'resources.volumes[0].path', 'is required'],
  ['resources: {ephemeral_storage: lots}\n', 'resources.ephemeral_storage', 'whole number of GB'],
  ['resources: {any_of: {infra: aws}}\n', 'resources.any_of', 'list'],
  ['resources: {any_of: [5]}\n', 'resources.any_of[0]', 'mapping'],
  ['resources: {any_of: [{infra: aws}], ordered: [{infra: gcp}]}\n', 'resources.ordered', "'any_of'"],
  ['resources: {any_of: [{cpus: x}]}\n', 'resources.any_of[0].cpus', 'positive number'],
  ['resources: {any_of: [{acceleratos: A100}]}\n', 'resources.any_of[0].acceleratos', "did you mean 'accelerators'"],
  ['resources: {any_of: [{any_of: []}]}\n', 'resources.any_of[0].any_of', 'nested'],
  ['resources: {any_of: [{accelerators: [A100, H100]}]}\n', 'resources.any_of[0].accelerators', 'only one accelerator'],
  ['resources: {accelerators: [A100, H100], ordered: [{infra: aws}]}\n', 'resources.accelerators', "'ordered'"],
  ['resources: {accelerators: [A100, H100], any_of: [{infra: aws}]}\n', 'resources.accelerators', "'any_of'"],
  ['resources: {infra: aws, any_of: [{region: us-east-1}]}\n', 'resources.any_of[0].region', "cannot be combined with 'infra'"],
  // headers and pipelines
  ['name: p\nexecution: sideways\n---\nrun: a\n---\nrun: b\n', 'execution', 'serial, parallel'],
  ['run: a\n---\nnum_nodes: x\n', 'tasks[1].num_nodes', 'positive integer'],
  ['run: a\nexecution: parallel\n', 'execution', 'unknown field'],
  ['name: g\nexecution: parallel\nprimary_tasks: [nope]\n---\nname: a\nrun: a\n---\nname: b\nrun: b\n', 'primary_tasks[0]', 'must name a task'],
  ['name: g\nexecution: parallel\nprimary_tasks: trainer\n---\nname: a\nrun: a\n---\nname: b\nrun: b\n', 'primary_tasks', 'list of task names'],
  ['name: g\nexecution: parallel\ntermination_delay: soon\n---\nrun: a\n---\nrun: b\n', 'termination_delay', "'30s'"],
  // YAML syntax and hostile input
  ['envs:\n  __proto__: x\n', 'yaml', '__proto__'],
  ['a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n', 'yaml', 'alias'],
  ['run: ' + '['.repeat(3000) + '\n', 'yaml', 'not valid YAML'],
  ['run: [unclosed\n', 'yaml', 'not valid YAML'],
  ['a: b: c\n', 'yaml', 'not valid YAML'],
  ['\tname: tabbed\n', 'yaml', 'not valid YAML'],
]

describe('every bad value gives a FieldIssue naming the field, the value and what is allowed', () => {
  test.each(CASES)('%j', (yaml, path, fragment) => {
    const issues = yamlIssues(yaml)
    const hit = issues.find((i) => i.path === path)
    if (!hit) throw new Error(`no issue at '${path}'; got ${JSON.stringify(issues)}`)
    expect(formatIssue(hit)).toContain(fragment)
  })
})

describe('collecting', () => {
  test('all problems are reported at once, in one ValidationError', () => {
    const issues = yamlIssues('num_nodes: 0\nresources:\n  cpus: x\n  memory: y\n  disk_tier: z\nenvs: {1A: b}\nfoo: bar\n')
    expect(issues.map((i) => i.path).sort()).toEqual(["envs['1A']", 'foo', 'num_nodes', 'resources.cpus', 'resources.disk_tier', 'resources.memory'])
  })

  test('non-string input is a ValidationError', () => {
    expect(issuesOf(() => parseDag(undefined as unknown as string))[0]!.path).toBe('yaml')
    expect(issuesOf(() => parseDag(42 as unknown as string))[0]!.path).toBe('yaml')
  })

  test('issues carry the offending value', () => {
    const [issue] = yamlIssues('resources:\n  cpus: lots\n')
    expect(issue!.value).toBe('lots')
  })

  test('the file path goes into the hint and YAML syntax issue paths', () => {
    try {
      parseDag('run: [x\n', { filePath: 'task.yaml' })
      throw new Error('should fail')
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError)
      const v = e as ValidationError
      expect(v.hint).toBe('in task.yaml')
      expect(v.issues[0]!.path).toBe('task.yaml')
    }
  })

  test('every key the format knows is accepted (no unknown-field issue)', () => {
    const dag = parseDag(`name: all-keys
workdir: .
num_nodes: 1
resources:
  infra: aws
  instance_type: m5.large
  cpus: 2
  memory: 8
  accelerators: T4
  accelerator_args: {runtime_version: x}
  use_spot: false
  job_recovery: FAILOVER
  disk_size: 50
  ephemeral_storage: 10
  disk_tier: low
  network_tier: standard
  local_disk: ssd:100
  max_hourly_cost: 1
  ports: 22
  labels: {a: b}
  image_id: ami-1
  autostop: 5
  priority: 0
  priority_class: normal
  volumes: [{path: /d, name: d}]
  _no_missing_accel_warnings: true
  _is_image_managed: false
  _requires_fuse: false
  _cluster_config_overrides: {}
  _docker_login_config: {username: a, password: b, server: c}
envs: {A: b}
secrets: {S: t}
managed_secrets: [X]
file_mounts: {/a: b}
setup: s
run: r
service: {readiness_probe: /, replicas: 1, ports: 8080, load_balancer: {stream_timeout_seconds: 60}, workers: 1}
config: {docker: {run_options: []}, active_workspace: ws}
volumes: {/v: vol}
volume_mounts: []
api_server_access: true
event_callback: cb
inputs: {a: 1}
outputs: {b: 2}
file_mounts_mapping: {}
experimental: {}
_metadata: {}
_user_specified_yaml: ''
`)
    expect(dag.tasks.length).toBe(1)
  })
})
