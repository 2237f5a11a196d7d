import { describe, expect, test } from 'bun:test'
import { parseDag } from '../../../src/core/task/dag-parse'
import { task } from './helpers'

describe('parseDag: documents', () => {
  test.each([
    ['empty text', ''],
    ['only a comment', '# nothing here\n'],
    ['explicit null', '~\n'],
    ['only document markers', '---\n---\n'],
  ])('%s gives one empty task', (_, yaml) => {
    const dag = parseDag(yaml)
    expect(dag.tasks).toEqual([{ numNodes: 1, resources: { mode: 'single', candidates: [{}] }, envs: {}, secrets: {}, fileMounts: {} }])
    expect(dag.name).toBeUndefined()
  })

  test('only run', () => {
    const t = task('run: echo hello\n')
    expect(t.run).toBe('echo hello')
    expect(t.numNodes).toBe(1)
    expect(t.setup).toBeUndefined()
  })

  test('multi-line run and setup keep their text', () => {
    const t = task('setup: |\n  pip install x\n  echo done\nrun: >-\n  python a.py\n  --flag\n')
    expect(t.setup).toBe('pip install x\necho done\n')
    expect(t.run).toBe('python a.py --flag')
  })

  test('null run/setup/resources/envs/file_mounts are treated as absent', () => {
    const t = task('run:\nsetup: null\nresources:\nenvs:\nfile_mounts: ~\nnum_nodes:\n')
    expect(t).toEqual({ numNodes: 1, resources: { mode: 'single', candidates: [{}] }, envs: {}, secrets: {}, fileMounts: {} })
  })

  test('single task: dag name is the task name', () => {
    const dag = parseDag('name: hello\nrun: echo hi\n')
    expect(dag.name).toBe('hello')
    expect(dag.tasks[0]!.name).toBe('hello')
  })

  test('header document with name and execution, then tasks', () => {
    const dag = parseDag('name: group\nexecution: parallel\n---\nname: a\nrun: echo a\n---\nname: b\nrun: echo b\n')
    expect(dag.name).toBe('group')
    expect(dag.execution).toBe('parallel')
    expect(dag.tasks.map((t) => t.name)).toEqual(['a', 'b'])
  })

  test('pipeline without header: two tasks, no dag name', () => {
    const dag = parseDag('name: a\nrun: echo a\n---\nrun: echo b\n')
    expect(dag.name).toBeUndefined()
    expect(dag.tasks.length).toBe(2)
    expect(dag.tasks[0]!.name).toBe('a')
  })

  test('header followed by a single task keeps the header name', () => {
    const dag = parseDag('name: pipe\n---\nname: only\nrun: x\n')
    expect(dag.name).toBe('pipe')
    expect(dag.tasks.length).toBe(1)
    expect(dag.tasks[0]!.name).toBe('only')
  })

  test('execution is case-insensitive', () => {
    expect(parseDag('execution: SERIAL\n---\nrun: a\n---\nrun: b\n').execution).toBe('serial')
  })

  test('trailing --- and empty documents are skipped', () => {
    const dag = parseDag('run: a\n---\n---\nrun: b\n---\n')
    expect(dag.tasks.map((t) => t.run)).toEqual(['a', 'b'])
  })
})

describe('parseDag: top-level keys', () => {
  test('name rules', () => {
    for (const ok of ['my-task', 'a', 'llama-3.1-8b', 'x__y--z', 'A1.b2']) expect(task(`name: ${ok}`).name).toBe(ok)
  })

  test('workdir as a directory or a git source', () => {
    expect(task('workdir: ~/code').workdir).toBe('~/code')
    expect(task('workdir: .').workdir).toBe('.')
    expect(task('workdir:\n  url: https://github.com/org/repo.git\n  ref: main\n').workdir).toEqual({ url: 'https://github.com/org/repo.git', ref: 'main' })
    expect(task('workdir: {url: git@github.com:org/repo.git}').workdir).toEqual({ url: 'git@github.com:org/repo.git' })
  })

  test('num_nodes', () => {
    expect(task('num_nodes: 4').numNodes).toBe(4)
  })

  test('envs: strings, numbers and booleans keep their text; null means required', () => {
    const t = task('envs:\n  A: hello\n  B: 1.10\n  C: 3\n  D: true\n  E: yes\n  F:\n  G: null\n  H: ""\n  I: 2e-5\n  _J: 0755\n')
    expect(t.envs).toEqual({ A: 'hello', B: '1.10', C: '3', D: 'true', E: 'yes', F: null, G: null, H: '', I: '2e-5', _J: '0755' })
  })

  test('secrets: mapping of inline values, and secrets: references', () => {
    const t = task('secrets:\n  HF_TOKEN: hf_abc\n  WANDB: null\n  NUM: 42\n  secrets:personal.OPENAI_KEY: null\n')
    expect(t.secrets).toEqual({ HF_TOKEN: 'hf_abc', WANDB: null, NUM: '42' })
    expect(t.managedSecrets).toEqual([{ name: 'OPENAI_KEY', scope: 'personal' }])
  })

  test('secrets as a list of references, and managed_secrets', () => {
    const t = task('secrets: [secrets:HF_TOKEN, secrets:workspace.DB]\nmanaged_secrets:\n  - global.API\n  - SSH_KEY: {mount_path: /etc/ssh-key}\n')
    expect(t.secrets).toEqual({})
    expect(t.managedSecrets).toEqual([
      { name: 'HF_TOKEN' },
      { name: 'DB', scope: 'workspace' },
      { name: 'API', scope: 'global' },
      { name: 'SSH_KEY', mountPath: '/etc/ssh-key' },
    ])
  })

  test('file_mounts: local path, cloud URIs, storage objects', () => {
    const t = task(`file_mounts:
  /remote/code: ~/code
  /rel: ./data
  /s3: s3://bucket/path
  /gs: gs://bucket
  /r2: r2://bucket
  /https: https://account.blob.core.windows.net/container
  /store:
    name: my-bucket
    source: ~/local-data
    store: S3
    mode: copy
    persistent: false
  /multi:
    source: [~/a, ~/b]
  /cached:
    source: gs://bucket/sub
    mode: MOUNT_CACHED
    config:
      mount_cached:
        transfers: 8
  /vol:
    name: my-vol
    store: volume
    _is_sky_managed: true
  /scratch:
    store: volume
    config:
      storage_type: instance
`)
    expect(t.fileMounts['/remote/code']).toEqual({ kind: 'local', source: '~/code' })
    expect(t.fileMounts['/rel']).toEqual({ kind: 'local', source: './data' })
    for (const k of ['/s3', '/gs', '/r2', '/https']) expect(t.fileMounts[k]!.kind).toBe('uri')
    expect(t.fileMounts['/store']).toEqual({ kind: 'storage', name: 'my-bucket', source: '~/local-data', store: 's3', mode: 'COPY', persistent: false })
    expect(t.fileMounts['/multi']).toEqual({ kind: 'storage', source: ['~/a', '~/b'] })
    expect(t.fileMounts['/cached']).toEqual({ kind: 'storage', source: 'gs://bucket/sub', mode: 'MOUNT_CACHED', config: { mount_cached: { transfers: 8 } } })
    expect(t.fileMounts['/vol']).toEqual({ kind: 'storage', name: 'my-vol', store: 'volume', extra: { _is_sky_managed: true } })
    expect(t.fileMounts['/scratch']).toEqual({ kind: 'storage', store: 'volume', config: { storage_type: 'instance' } })
  })

  test('service, pool, config, volumes are carried', () => {
    const t = task(`service:
  readiness_probe: /health
  replicas: 2
config:
  kubernetes:
    provision_timeout: 600
  hooks:
    - run: echo bye
      events: [stop, down]
      timeout: 60
volumes:
  /mnt/data: my-volume
  /mnt/scratch:
    size: 100Gi
`)
    expect(t.service).toEqual({ readiness_probe: '/health', replicas: 2 })
    expect(t.config).toEqual({ kubernetes: { provision_timeout: 600 }, hooks: [{ run: 'echo bye', events: ['stop', 'down'], timeout: 60 }] })
    expect(t.volumes).toEqual({ '/mnt/data': 'my-volume', '/mnt/scratch': { size: '100Gi' } })
    expect(task('pool:\n  workers: 3\n  max_workers: 5\n').pool).toEqual({ workers: 3, max_workers: 5 })
  })

  test('internal and experimental keys go to extra', () => {
    const t = task(`api_server_access: false
event_callback: echo done
inputs: {s3://bucket/in: 10}
outputs: {s3://bucket/out: 1.5}
file_mounts_mapping: {a: b}
volume_mounts: [{path: /x, volume_name: v}]
experimental: {config_overrides: {docker: {run_options: [--ipc=host]}}}
_metadata: {source: test}
_user_specified_yaml: "run: x"
`)
    expect(t.extra).toEqual({
      api_server_access: false,
      event_callback: 'echo done',
      inputs: { 's3://bucket/in': 10 },
      outputs: { 's3://bucket/out': 1.5 },
      file_mounts_mapping: { a: 'b' },
      volume_mounts: [{ path: '/x', volume_name: 'v' }],
      experimental: { config_overrides: { docker: { run_options: ['--ipc=host'] } } },
      _metadata: { source: 'test' },
      _user_specified_yaml: 'run: x',
    })
  })

  test('YAML 1.1 like PyYAML: yes/on booleans, merge keys, duplicate keys', () => {
    const t = task(`resources:
  any_of:
    - &base
      cpus: 4
      use_spot: yes
    - <<: *base
      infra: aws
      use_spot: off
run: a
run: b
`)
    expect(t.resources.candidates).toEqual([
      { cpus: { value: 4, orMore: false }, useSpot: true },
      { infra: { cloud: 'aws' }, cpus: { value: 4, orMore: false }, useSpot: false },
    ])
    expect(t.run).toBe('b')
  })

  test('strings PyYAML does not treat as numbers stay strings', () => {
    expect(task('envs: {A: ., B: 09, C: 1e5, D: y, E: 2024-01-01}').envs).toEqual({ A: '.', B: '09', C: '1e5', D: 'y', E: '2024-01-01' })
  })
})

describe('env substitution', () => {
  const yaml = `envs:
  BUCKET: my-bucket
  SIZE: 13b
  LOCAL: tmp-dir
secrets:
  TOKEN: abc
workdir: ~/work/$SIZE
file_mounts:
  /mydir:
    name: \${BUCKET}
    mode: MOUNT
  /mydir2:
    name: $BUCKET-2
    source: ["~/\${LOCAL}"]
  /checkpoint/\${SIZE}: ~/\${LOCAL}
  /unknown: ~/$NOT_SET/\${ALSO_NOT}
  /tok: s3://b/$TOKEN
service:
  readiness_probe:
    path: /v1/models
    post_data: {model: $SIZE}
  replicas: 1
volumes:
  /vol/$SIZE: vol-$BUCKET
run: echo $BUCKET \${SIZE}
setup: echo $LOCAL
`
  test('applies to file_mounts, workdir, service and volumes, not run/setup', () => {
    const t = task(yaml)
    expect(t.workdir).toBe('~/work/13b')
    expect(t.fileMounts['/mydir']).toEqual({ kind: 'storage', name: 'my-bucket', mode: 'MOUNT' })
    expect(t.fileMounts['/mydir2']).toEqual({ kind: 'storage', name: 'my-bucket-2', source: ['~/tmp-dir'] })
    expect(t.fileMounts['/checkpoint/13b']).toEqual({ kind: 'local', source: '~/tmp-dir' })
    expect(t.fileMounts['/unknown']).toEqual({ kind: 'local', source: '~/$NOT_SET/${ALSO_NOT}' })
    expect(t.fileMounts['/tok']).toEqual({ kind: 'uri', source: 's3://b/abc' })
    expect(t.service).toEqual({ readiness_probe: { path: '/v1/models', post_data: { model: '13b' } }, replicas: 1 })
    expect(t.volumes).toEqual({ '/vol/13b': 'vol-my-bucket' })
    expect(t.run).toBe('echo $BUCKET ${SIZE}')
    expect(t.setup).toBe('echo $LOCAL')
  })

  test('CLI env overrides win and are substituted', () => {
    const t = task(yaml, { envOverrides: { SIZE: '70b', NEW: 'x' }, secretOverrides: [['TOKEN', 'zzz']] })
    expect(t.envs.SIZE).toBe('70b')
    expect(t.envs.NEW).toBe('x')
    expect(t.secrets.TOKEN).toBe('zzz')
    expect(t.fileMounts['/checkpoint/70b']).toBeDefined()
    expect(t.fileMounts['/tok']).toEqual({ kind: 'uri', source: 's3://b/zzz' })
    expect(t.workdir).toBe('~/work/70b')
  })

  test('overrides apply to every task of a pipeline', () => {
    const dag = parseDag('name: p\n---\nenvs: {A: 1}\nrun: a\n---\nrun: b\n', { envOverrides: { A: '2' } })
    expect(dag.tasks.map((t) => t.envs.A)).toEqual(['2', '2'])
  })
})

describe('job groups and legacy keys', () => {
  test('job-group header: primary_tasks and termination_delay', () => {
    const dag = parseDag(`# leading comment document
---
name: rl
execution: parallel
primary_tasks: [trainer]
termination_delay: {default: 30s, replay-buffer: 1m}
---
name: trainer
run: python train.py
---
name: replay-buffer
resources:
  job_recovery:
    strategy: DYNAMIC_NODE_SET
    min_nodes: 1
run: python buffer.py
`)
    expect(dag).toMatchObject({ name: 'rl', execution: 'parallel', primaryTasks: ['trainer'], terminationDelay: { default: '30s', 'replay-buffer': '1m' } })
    expect(dag.tasks[1]!.resources.candidates[0]!.jobRecovery).toEqual({ strategy: 'DYNAMIC_NODE_SET', extra: { min_nodes: 1 } })
    expect(parseDag('name: g\nexecution: parallel\ntermination_delay: 30s\n---\nname: a\nrun: a\n---\nname: b\nrun: b\n').terminationDelay).toBe('30s')
  })

  test('keys older SkyServe releases used are refused with what replaced them', () => {
    const err = (yaml: string) => {
      try {
        task(yaml)
      } catch (e) {
        return (e as Error).message
      }
      throw new Error('expected a validation error')
    }
    const m = err(`service:
  readiness_probe: /health
  replicas: 1
  https: {key: k.pem, cert: c.pem}
  route53_hosted_zone: example.com
  load_balancing_policy: prefix_tree
run: x
`)
    expect(m).toContain("service.https: unknown field: was replaced by 'tls: {keyfile, certfile}'")
    expect(m).toContain('service.route53_hosted_zone: unknown field')
    expect(m).toContain('service.load_balancing_policy')
    expect(m).toContain('round_robin, least_load, instance_aware_least_load')
    const p = err('service:\n  replica_policy: {min_replicas: 1, auto_restart: false, spot_placer: DynamicFailover, init_replicas: 2}\n')
    expect(p).toContain('service.replica_policy.auto_restart: unknown field: is no longer supported')
    expect(p).toContain("service.replica_policy.init_replicas: unknown field: was renamed 'min_replicas'")
    expect(p).toContain("service.replica_policy.spot_placer: 'DynamicFailover' — must be one of dynamic_fallback")
  })

  test('numeric accelerator_args strings are accepted', () => {
    expect(task('resources:\n  accelerators: tpu-v2-8\n  accelerator_args: {runtime_version: 2.12, tpu_vm: False}\n').resources.candidates[0]!.acceleratorArgs).toEqual({
      runtime_version: '2.12',
      tpu_vm: false,
    })
  })
})
