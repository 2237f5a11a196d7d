import { describe, expect, test } from 'bun:test'
import { formatIssue } from '../../../src/core/errors'
import { parseDag } from '../../../src/core/task/dag-parse'
import { parseDotenv } from '../../../src/core/task/dotenv'
import {
  applyOverrides,
  checkRequiredValues,
  dagFromTask,
  parseDagWithOverrides,
  taskFromCommand,
  type TaskOverrides,
} from '../../../src/core/task/overrides'
import type { Resources } from '../../../src/core/task/types'
import { issuesOf } from './helpers'

const BASE = `name: base
workdir: ~/code
num_nodes: 2
resources:
  infra: gcp/us-central1
  cpus: 4+
  memory: 16+
  accelerators: A100:1
  instance_type: a2-highgpu-1g
  use_spot: true
  disk_size: 200
  disk_tier: high
  network_tier: best
  image_id: docker:img
  ports: 8080
  priority: 10
envs:
  A: yaml
  B: yaml
run: echo hi
`

const apply = (o: TaskOverrides, yaml = BASE) => applyOverrides(parseDag(yaml), o, { processEnv: { FROM_SHELL: 'shell-value' } })
const r0 = (o: TaskOverrides, yaml = BASE): Resources => apply(o, yaml).tasks[0]!.resources.candidates[0]!

describe('applyOverrides: CLI values win', () => {
  test.each<[TaskOverrides, Partial<Resources>]>([
    [{ infra: 'aws/us-east-1' }, { infra: { cloud: 'aws', region: 'us-east-1' } }],
    [{ infra: 'k8s' }, { infra: { cloud: 'kubernetes' } }],
    [{ cloud: 'aws' }, { infra: { cloud: 'aws' } }],
    [{ region: 'us-east1' }, { infra: { cloud: 'gcp', region: 'us-east1' } }],
    [{ zone: 'us-central1-a' }, { infra: { cloud: 'gcp', region: 'us-central1', zone: 'us-central1-a' } }],
    [{ cpus: '8' }, { cpus: { value: 8, orMore: false } }],
    [{ cpus: 2 }, { cpus: { value: 2, orMore: false } }],
    [{ memory: '64+' }, { memory: { value: 64, orMore: true } }],
    [{ gpus: 'H100:8' }, { accelerator: { name: 'H100', count: 8 } }],
    [{ gpus: 'V100:0.5' }, { accelerator: { name: 'V100', count: 0.5 } }],
    [{ instanceType: 'n2-standard-8' }, { instanceType: 'n2-standard-8' }],
    [{ useSpot: false }, { useSpot: false }],
    [{ diskSize: '1TB' }, { diskSize: 1024 }],
    [{ diskSize: '50' }, { diskSize: 50 }],
    [{ diskTier: 'LOW' }, { diskTier: 'low' }],
    [{ networkTier: 'standard' }, { networkTier: 'standard' }],
    [{ imageId: 'ami-123' }, { imageId: 'ami-123' }],
    [{ ports: ['80', '443,8000-8001'] }, { ports: ['80', '443', '8000-8001'] }],
    [{ priority: '-5' }, { priority: -5 }],
    [{ priority: 'high-prio' }, { priority: 10, priorityClass: 'high-prio' }],
    [{ localDisk: 'nvme:100GB' }, { localDisk: 'nvme:100GB' }],
  ])('%j', (o, want) => {
    expect(r0(o)).toMatchObject(want)
  })

  test.each<[keyof TaskOverrides, keyof Resources]>([
    ['infra', 'infra'],
    ['cpus', 'cpus'],
    ['memory', 'memory'],
    ['gpus', 'accelerator'],
    ['instanceType', 'instanceType'],
    ['diskSize', 'diskSize'],
    ['diskTier', 'diskTier'],
    ['networkTier', 'networkTier'],
    ['imageId', 'imageId'],
    ['priority', 'priority'],
  ])("'none' resets %s", (flag, field) => {
    expect(r0({ [flag]: 'none' })[field]).toBeUndefined()
  })

  test("'none' resets ports, workdir, num_nodes and cloud", () => {
    expect(r0({ ports: ['none'] }).ports).toBeUndefined()
    const t = apply({ workdir: 'none', numNodes: 'none' }).tasks[0]!
    expect(t.workdir).toBeUndefined()
    expect(t.numNodes).toBe(1)
    expect(r0({ cloud: 'none' }).infra).toBeUndefined()
  })

  test('task-level options', () => {
    const dag = apply({ name: 'renamed', workdir: '/tmp/w', numNodes: '8' })
    expect(dag.name).toBe('renamed')
    expect(dag.tasks[0]).toMatchObject({ name: 'renamed', workdir: '/tmp/w', numNodes: 8 })
  })

  test('the input Dag is not modified', () => {
    const dag = parseDag(BASE)
    const copy = structuredClone(dag)
    applyOverrides(dag, { cpus: '1', envs: ['A=1'], name: 'x' })
    expect(dag).toEqual(copy)
  })

  test('overrides apply to every candidate; equal candidates collapse', () => {
    const yaml = 'resources:\n  accelerators: {A100: 1, H100: 1}\n  cpus: 4\n'
    const set = apply({ cpus: '8' }, yaml).tasks[0]!.resources
    expect(set.mode).toBe('any_of')
    expect(set.candidates.map((c) => c.cpus!.value)).toEqual([8, 8])
    const one = apply({ gpus: 'L4:1' }, yaml).tasks[0]!.resources
    expect(one).toEqual({ mode: 'single', candidates: [{ cpus: { value: 4, orMore: false }, accelerator: { name: 'L4', count: 1 } }] })
  })

  test('overrides apply to every task of a pipeline; name goes to the dag', () => {
    const dag = apply({ useSpot: true, envs: ['X=1'], name: 'pipe2' }, 'name: p\n---\nname: a\nrun: a\n---\nname: b\nrun: b\n')
    expect(dag.name).toBe('pipe2')
    expect(dag.tasks.map((t) => [t.name, t.resources.candidates[0]!.useSpot, t.envs.X])).toEqual([
      ['a', true, '1'],
      ['b', true, '1'],
    ])
  })
})

describe('envs and secrets from the command line', () => {
  test('--env KEY=VAL, bare KEY from the shell, values with =', () => {
    const t = apply({ envs: ['A=cli', 'FROM_SHELL', 'C=x=y', 'EMPTY='] }).tasks[0]!
    expect(t.envs).toEqual({ A: 'cli', B: 'yaml', FROM_SHELL: 'shell-value', C: 'x=y', EMPTY: '' })
  })

  test('bare KEY that is not set is an error', () => {
    const issues = issuesOf(() => apply({ envs: ['NOT_IN_SHELL'] }))
    expect(issues.map(formatIssue)).toEqual(["--env: 'NOT_IN_SHELL' is not set in your environment; pass --env NOT_IN_SHELL=VALUE"])
  })

  test('env file, then --env on top', () => {
    const files: Record<string, string> = { 'app.env': '# comment\nA=file\nexport B="two words"\nC=3 # trailing\n' }
    const dag = applyOverrides(parseDag(BASE), { envFile: 'app.env', envs: ['C=flag'] }, { readFile: (p) => files[p]!, processEnv: {} })
    expect(dag.tasks[0]!.envs).toEqual({ A: 'file', B: 'two words', C: 'flag' })
  })

  test('secrets and secret files', () => {
    const dag = applyOverrides(parseDag('secrets: {HF_TOKEN: null}\nrun: x'), { secrets: ['HF_TOKEN'], secretFile: 's.env' }, {
      processEnv: { HF_TOKEN: 'hf_x' },
      readFile: () => 'WANDB=w\n',
    })
    expect(dag.tasks[0]!.secrets).toEqual({ HF_TOKEN: 'hf_x', WANDB: 'w' })
  })

  test('missing env file is a ValidationError', () => {
    const issues = issuesOf(() => applyOverrides(parseDag('run: x'), { envFile: '/definitely/not/here.env' }))
    expect(issues[0]!.path).toBe('--env-file')
  })

  test('parseDagWithOverrides substitutes CLI envs into file_mounts', () => {
    const yaml = 'envs: {SIZE: 7b}\nfile_mounts:\n  /models/$SIZE: s3://weights/$SIZE\nresources: {cpus: 2}\n'
    const dag = parseDagWithOverrides(yaml, { envs: ['SIZE=70b'], cpus: '4' }, { processEnv: {} })
    const t = dag.tasks[0]!
    expect(t.fileMounts).toEqual({ '/models/70b': { kind: 'uri', source: 's3://weights/70b' } })
    expect(t.resources.candidates[0]!.cpus).toEqual({ value: 4, orMore: false })
    expect(t.envs.SIZE).toBe('70b')
  })

  test('checkRequiredValues names every missing env and secret', () => {
    const dag = parseDag('envs: {A: null, B: x}\nsecrets: {S: null}\nrun: x')
    const issues = issuesOf(() => checkRequiredValues(dag))
    expect(issues.map((i) => i.path)).toEqual(['envs.A', 'secrets.S'])
    expect(() => checkRequiredValues(applyOverrides(dag, { envs: ['A=1'], secrets: ['S=2'] }))).not.toThrow()
  })
})

describe('bad CLI values', () => {
  test.each<[TaskOverrides, string, string]>([
    [{ cpus: 'lots' }, '--cpus', "'lots'"],
    [{ memory: '-1' }, '--memory', 'size in GB'],
    [{ gpus: 'A100:x' }, '--gpus', "'A100:x' — count must be a number, e.g. A100:8"],
    [{ gpus: 'A100,H100' }, '--gpus', 'A100'],
    [{ infra: 'mars' }, '--infra', "unknown infra 'mars'"],
    [{ infra: 'aws', region: 'us-east-1' }, '--region', 'cannot be combined with --infra'],
    [{ cloud: 'mars' }, '--cloud', 'not a known cloud'],
    [{ numNodes: '0' }, '--num-nodes', 'positive integer'],
    [{ numNodes: 'two' }, '--num-nodes', 'positive integer'],
    [{ diskSize: 'big' }, '--disk-size', 'whole number of GB'],
    [{ diskTier: 'fast' }, '--disk-tier', 'low, medium, high, ultra, best'],
    [{ networkTier: 'x' }, '--network-tier', 'standard, best'],
    [{ ports: ['99999'] }, '--ports', 'not a valid port'],
    [{ priority: '5000' }, '--priority', '-1000 to 1000'],
    [{ priority: '!!' }, '--priority', 'priority class'],
    [{ name: 'bad name' }, '--name', 'letters/digits'],
    [{ envs: ['1X=2'] }, '--env', 'KEY=VALUE'],
    [{ secrets: ['=x'] }, '--secret', 'KEY=VALUE'],
  ])('%j', (o, path, fragment) => {
    const issues = issuesOf(() => apply(o))
    const hit = issues.find((i) => i.path === path)
    expect(hit).toBeDefined()
    expect(formatIssue(hit!)).toContain(fragment)
  })
})

describe('inline commands', () => {
  test('taskFromCommand', () => {
    const t = taskFromCommand('echo hi && nvidia-smi')
    expect(t).toEqual({ run: 'echo hi && nvidia-smi', numNodes: 1, resources: { mode: 'single', candidates: [{}] }, envs: {}, secrets: {}, fileMounts: {} })
    expect(dagFromTask(t)).toEqual({ tasks: [t] })
    expect(dagFromTask({ ...t, name: 'n' }).name).toBe('n')
    expect(applyOverrides(dagFromTask(t), { gpus: 'L4' }).tasks[0]!.resources.candidates[0]).toEqual({ accelerator: { name: 'L4', count: 1 } })
  })

  test('an empty command is a ValidationError', () => {
    expect(issuesOf(() => taskFromCommand('  '))[0]!.path).toBe('command')
  })
})

describe('dotenv', () => {
  test('formats', () => {
    const { values, badLines } = parseDotenv(
      [
        '# comment',
        '',
        'PLAIN=value',
        'export EXPORTED=1',
        "SINGLE='lit $X \\n'",
        'DOUBLE="a\\nb \\"q\\""',
        'TRAILING=val # note',
        'HASH=a#b',
        'EMPTY=',
        'SPACED = spaced ',
        'MULTI="line1',
        'line2"',
        'not an assignment',
      ].join('\n'),
    )
    expect(values).toEqual({
      PLAIN: 'value',
      EXPORTED: '1',
      SINGLE: 'lit $X \\n',
      DOUBLE: 'a\nb "q"',
      TRAILING: 'val',
      HASH: 'a#b',
      EMPTY: '',
      SPACED: 'spaced',
      MULTI: 'line1\nline2',
    })
    expect(badLines).toEqual([13])
  })
})
