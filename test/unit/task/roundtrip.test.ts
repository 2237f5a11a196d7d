import { describe, expect, test } from 'bun:test'
import { parseDag } from '../../../src/core/task/dag-parse'
import { REDACTED, serializeDag, serializeTask } from '../../../src/core/task/serialize'

const SAMPLES = [
  '',
  'run: echo hi',
  'name: t\nnum_nodes: 3\nworkdir: {url: https://x/y.git, ref: v1}\nrun: |\n  a\n  b\n',
  'envs: {A: "1.10", B: yes, C: null, D: "", E: "on", F: "8:30", G: "0755", H: "~", I: "null", J: "- x", K: "a: b", L: "#x"}\nrun: x',
  'secrets: {T: abc, U: null, "secrets:workspace.D": null}\nmanaged_secrets: [A, personal.B, {C: {mount_path: /m}}]',
  'resources: {infra: "aws/*/us-east-1a", cpus: 0.5, memory: 4x, accelerators: V100:0.5, disk_size: 2TB, ports: [80, 81, 8000-8010]}',
  'resources: {infra: k8s/arn:aws:eks:us-east-1:1:cluster/c, image_id: {us-east-1: ami-1}, labels: {a: "1"}, autostop: false}',
  'resources: {autostop: {idle_minutes: 7, down: true, wait_for: jobs, hook: "echo x", hook_timeout: 9}, job_recovery: {max_restarts_on_errors: 2, recover_on_exit_codes: 3, extra_k: v}}',
  'resources: {accelerators: [A100:8, H100:8], cpus: 8+}',
  'resources: {accelerators: {A100: 8, H100: 8}, any_of: [{infra: aws}, {infra: gcp}]}',
  'resources: {any_of: [{infra: aws}]}',
  'resources: {ordered: [{infra: aws, use_spot: true}, {infra: gcp}], accelerators: nvidia:80GB+:2}',
  'resources: {volumes: [{path: /d, name: x}], _docker_login_config: {username: u, password: p, server: s}, ephemeral_storage: 5, local_disk: "nvme:1TB+", priority_class: hi, priority: -3}',
  'file_mounts: {/a: ~/a, /b: s3://b, /c: {name: n, source: [x, y], store: gcs, mode: COPY, persistent: true, mount_options: ro, type: DATASET_RO, config: {k: v}, _force_delete: true}}',
  'service: {readiness_probe: {path: /h, headers: {X: y}}, replica_policy: {min_replicas: 0, max_replicas: 2, target_qps_per_replica: 1.5}, tls: {keyfile: k, certfile: c}}\nrun: x',
  'pool: {workers: 2}\nconfig: {hooks: [{run: x}]}\nvolumes: {/v: {size: 1Gi}}\napi_server_access: false\n_metadata: {a: 1}',
  'name: p\nexecution: parallel\n---\nname: a\nrun: a\n---\nname: b\nrun: b',
  'name: solo\n---\nname: other\nrun: x',
  'name: a\n---\nrun: b',
  'run: a\n---\nrun: b',
  'name: g\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: {default: 30s, b: 1m}\n---\nname: a\nrun: a\n---\nname: b\nrun: b',
  'resources: {accelerators: {A100: 1, H100: 1}, any_of: []}',
]

describe('serialize → parse is the identity', () => {
  test.each(SAMPLES.map((s) => [s]))('%j', (yaml) => {
    const dag = parseDag(yaml)
    const text = serializeDag(dag, { redactSecrets: false })
    expect(parseDag(text)).toEqual(dag)
    // and serializing again is stable
    expect(serializeDag(parseDag(text), { redactSecrets: false })).toBe(text)
  })
})

describe('redaction', () => {
  test('secrets print as <redacted>', () => {
    const dag = parseDag('secrets: {HF_TOKEN: hf_secret, EMPTY: null}\nenvs: {A: visible}\nresources:\n  _docker_login_config: {username: u, password: dockerpass, server: s}\n')
    const text = serializeDag(dag, { redactSecrets: true })
    expect(text).not.toContain('hf_secret')
    expect(text).not.toContain('dockerpass')
    expect(text).toContain(REDACTED)
    expect(text).toContain('visible')
    expect(parseDag(text).tasks[0]!.secrets).toEqual({ HF_TOKEN: REDACTED, EMPTY: REDACTED })
    expect(serializeTask(dag.tasks[0]!)).not.toContain('hf_secret')
  })

  test('without redaction the values are kept', () => {
    const text = serializeDag(parseDag('secrets: {T: hf_secret}'), { redactSecrets: false })
    expect(text).toContain('hf_secret')
  })
})

describe('output format', () => {
  test('multi-line run is a literal block; single task has no header', () => {
    const text = serializeDag(parseDag('name: x\nrun: |\n  echo a\n  echo b\n'), { redactSecrets: false })
    expect(text).toBe('name: x\nrun: |\n  echo a\n  echo b\n')
  })

  test('pipeline has a header and --- separators', () => {
    const text = serializeDag(parseDag('name: p\n---\nrun: a\n---\nrun: b\n'), { redactSecrets: false })
    expect(text).toBe('name: p\n---\nrun: a\n---\nrun: b\n')
  })

  test('any_of and ordered are written as lists of full alternatives', () => {
    const text = serializeDag(parseDag("resources:\n  cpus: 2\n  accelerators: ['A', 'B']\n"), { redactSecrets: false })
    expect(text).toBe('resources:\n  ordered:\n    - cpus: 2\n      accelerators: A:1\n    - cpus: 2\n      accelerators: B:1\n')
  })
})
