import { describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseDag } from '../../../src/core/task/dag-parse'
import { serializeDag } from '../../../src/core/task/serialize'

export const FIXTURE_DIR = join(import.meta.dir, '../../fixtures/tasks')
const load = (f: string) => parseDag(readFileSync(join(FIXTURE_DIR, f), 'utf8'), { filePath: f })

describe('realistic SkyPilot YAMLs', () => {
  test('every fixture parses and round-trips', () => {
    const files = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.yaml'))
    expect(files.length).toBeGreaterThanOrEqual(6)
    for (const f of files) {
      const dag = load(f)
      expect(parseDag(serializeDag(dag, { redactSecrets: false }))).toEqual(dag)
    }
  })

  test('GPU training task', () => {
    const t = load('gpu-training.yaml').tasks[0]!
    expect(t.name).toBe('finetune-llm')
    expect(t.resources.candidates).toEqual([
      {
        infra: { cloud: 'gcp' },
        useSpot: true,
        jobRecovery: { strategy: 'FAILOVER', maxRestartsOnErrors: 3 },
        diskSize: 512,
        diskTier: 'high',
        accelerator: { name: 'A100-80GB', count: 1 },
      },
    ])
    expect(t.envs).toMatchObject({ LEARNING_RATE: '2e-5', EPOCHS: '3', WANDB_PROJECT: null })
    expect(t.secrets).toEqual({ HF_TOKEN: null })
    expect(t.fileMounts['/checkpoints']).toEqual({ kind: 'storage', name: 'my-finetune-ckpts', store: 'gcs', mode: 'MOUNT_CACHED' })
    expect(t.fileMounts['/data/train']).toEqual({ kind: 'uri', source: 's3://my-datasets/instructions/' })
    expect(t.run).toContain('--output /checkpoints/run-$SKYPILOT_TASK_ID')
  })

  test('multi-node torchrun task', () => {
    const t = load('multinode-torchrun.yaml').tasks[0]!
    expect(t.numNodes).toBe(4)
    expect(t.resources.candidates[0]).toMatchObject({ accelerator: { name: 'H100', count: 8 }, networkTier: 'best', ports: ['29500'] })
    expect(t.run).toContain('$SKYPILOT_NODE_RANK')
    expect(t.run).toContain('SKYPILOT_NODE_IPS')
  })

  test('any_of task', () => {
    const r = load('any-of.yaml').tasks[0]!.resources
    expect(r.mode).toBe('any_of')
    expect(r.candidates.map((c) => [c.infra?.cloud, c.accelerator?.name, c.diskSize])).toEqual([
      ['aws', 'H100', 1024],
      ['gcp', 'H100', 1024],
      ['kubernetes', 'A100-80GB', 1024],
      ['lambda', 'H100', 1024],
    ])
    expect(r.candidates[1]!.labels).toEqual({ team: 'research', billing: 'gcp-credits' })
  })

  test('ordered task', () => {
    const r = load('ordered.yaml').tasks[0]!.resources
    expect(r.mode).toBe('ordered')
    expect(r.candidates.map((c) => `${c.infra?.cloud}/${c.infra?.region}`)).toEqual(['gcp/us-east4', 'gcp/us-central1', 'aws/us-east-1'])
    expect(r.candidates.every((c) => c.autostop?.idleMinutes === 30)).toBe(true)
  })

  test('serve task', () => {
    const t = load('serve.yaml').tasks[0]!
    expect(t.service).toMatchObject({
      readiness_probe: { path: '/v1/chat/completions', post_data: { model: 'mistralai/Mistral-7B-Instruct-v0.3' } },
      replica_policy: { min_replicas: 1, max_replicas: 4, target_qps_per_replica: 2.5 },
    })
    expect(t.resources.mode).toBe('any_of')
    expect(t.resources.candidates.map((c) => c.accelerator!.name)).toEqual(['L4', 'A10G', 'A100'])
  })

  test('two-task pipeline', () => {
    const dag = load('pipeline.yaml')
    expect(dag.name).toBe('train-then-eval')
    expect(dag.execution).toBeUndefined()
    expect(dag.tasks.map((t) => t.name)).toEqual(['train', 'eval'])
  })
})
