// Mutation fuzzing of the task parser: valid YAMLs are mutated (as text and as data) thousands of
// times with a seeded PRNG. Whatever the input, parseDag must either return a Dag or throw a
// ValidationError whose issues all name a field path; a Dag it returns must survive
// serialize → parse unchanged.
import { describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { ValidationError } from '../../../src/core/errors'
import { parseDag } from '../../../src/core/task/dag-parse'
import { applyOverrides, type TaskOverrides } from '../../../src/core/task/overrides'
import { serializeDag } from '../../../src/core/task/serialize'

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const FIXTURES = join(import.meta.dir, '../../fixtures/tasks')
/** Mutations per property (a fixed count: the same work however busy the machine is). */
const RUNS = 600
const SEEDS: string[] = [
  ...readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => readFileSync(join(FIXTURES, f), 'utf8')),
  'run: echo hi\n',
  'resources:\n  infra: k8s/ctx\n  cpus: 2+\n  memory: 4x\n  ports: [80, 8000-8010]\n  autostop: {idle_minutes: 3, down: true}\n  job_recovery: {strategy: failover, recover_on_exit_codes: [1]}\n',
  'workdir: {url: https://x/y.git, ref: main}\nsecrets: [secrets:A]\nmanaged_secrets: [{B: {mount_path: /b}}]\nconfig: {hooks: [{run: x, events: [stop]}]}\n',
  'name: g\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: 30s\n---\nname: a\nrun: a\n---\nname: b\nresources: {ordered: [{infra: aws}, {infra: gcp}]}\n',
]

const JUNK: unknown[] = [
  null,
  0,
  -1,
  1.5,
  1e300,
  true,
  false,
  '',
  ' ',
  'none',
  '*',
  'A100:x',
  '8000-7000',
  '$X${Y}',
  '::::',
  '/'.repeat(5),
  'x'.repeat(300),
  [],
  [null],
  [1, 'a', { b: 2 }],
  {},
  { a: null },
  { '': 1 },
  { any_of: [{ any_of: [] }] },
  { '1': { '2': { '3': [[[]]] } } },
]

const KEYS = ['name', 'run', 'setup', 'resources', 'envs', 'secrets', 'file_mounts', 'num_nodes', 'accelerators', 'cpus', 'infra', 'any_of', 'ordered', 'service', 'workdir', 'ports', 'autostop', 'x', '_y', 'execution']
const CHARS = [':', '{', '}', '[', ']', '-', '#', '&', '*', '!', '|', '>', "'", '"', '\n', '\t', ' ', ',', '%', '@', '`', '?', 'a', '0', '9', '$', '\\', '\u00e9', '\u0000']

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!
}

function mutateText(rand: () => number, text: string): string {
  const lines = text.split('\n')
  switch (Math.floor(rand() * 7)) {
    case 0: {
      const i = Math.floor(rand() * (text.length + 1))
      return text.slice(0, i) + pick(rand, CHARS) + text.slice(i)
    }
    case 1: {
      const i = Math.floor(rand() * text.length)
      return text.slice(0, i) + text.slice(i + 1)
    }
    case 2: {
      const i = Math.floor(rand() * lines.length)
      lines.splice(i, 0, lines[i] ?? '')
      return lines.join('\n')
    }
    case 3: {
      const i = Math.floor(rand() * lines.length)
      const j = Math.floor(rand() * lines.length)
      ;[lines[i], lines[j]] = [lines[j]!, lines[i]!]
      return lines.join('\n')
    }
    case 4:
      return text.slice(0, Math.floor(rand() * text.length))
    case 5: {
      const i = Math.floor(rand() * lines.length)
      lines[i] = (rand() < 0.5 ? '  ' : '') + (lines[i] ?? '').replace(/^ {2}/, rand() < 0.5 ? '' : '    ')
      return lines.join('\n')
    }
    default: {
      const i = Math.floor(rand() * lines.length)
      lines.splice(i, 0, rand() < 0.5 ? '---' : `${pick(rand, KEYS)}: ${stringify(pick(rand, JUNK), { lineWidth: 0 }).trim().split('\n')[0]}`)
      return lines.join('\n')
    }
  }
}

/** Every (container, key) position in a JSON-like value. */
function positions(v: unknown, out: Array<[Record<string, unknown> | unknown[], string | number]> = []): typeof out {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), positions(x, out)))
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push([v as Record<string, unknown>, k]), positions(x, out)
  return out
}

function mutateData(rand: () => number, doc: unknown): unknown {
  const root = structuredClone(doc ?? {})
  const spots = positions(root)
  const n = 1 + Math.floor(rand() * 3)
  for (let k = 0; k < n && spots.length > 0; k++) {
    const [container, key] = pick(rand, spots)
    const op = rand()
    if (Array.isArray(container)) {
      if (op < 0.7) container[key as number] = structuredClone(pick(rand, JUNK))
      else container.splice(key as number, 1)
    } else if (op < 0.5) container[key as string] = structuredClone(pick(rand, JUNK))
    else if (op < 0.7) delete container[key as string]
    else if (op < 0.85) {
      const v = container[key as string]
      delete container[key as string]
      const s = String(key)
      container[s.length > 1 ? s.slice(0, -1) + s.slice(-1).toUpperCase() : `${s}_`] = v
    } else container[pick(rand, KEYS)] = structuredClone(pick(rand, JUNK))
  }
  return root
}

function check(text: string, ctx: string): 'ok' | 'invalid' {
  let dag
  try {
    dag = parseDag(text)
  } catch (e) {
    if (!(e instanceof ValidationError)) throw new Error(`${ctx}: non-ValidationError ${String(e)}\n--- input ---\n${text}`)
    expect(e.issues.length).toBeGreaterThan(0)
    for (const i of e.issues) {
      if (typeof i.path !== 'string' || i.path === '' || typeof i.message !== 'string' || i.message === '') {
        throw new Error(`${ctx}: issue without a path/message ${JSON.stringify(i)}\n--- input ---\n${text}`)
      }
    }
    return 'invalid'
  }
  // Known limit: an env value that itself contains `$VAR` is substituted once more on re-parse.
  if (dag.tasks.some((t) => [...Object.values(t.envs), ...Object.values(t.secrets)].some((v) => v?.includes('$')))) return 'ok'
  const again = parseDag(serializeDag(dag, { redactSecrets: false }))
  if (JSON.stringify(again) !== JSON.stringify(dag)) {
    try {
      expect(again).toEqual(dag)
    } catch (e) {
      throw new Error(`${ctx}: round trip changed the Dag\n--- input ---\n${text}\n--- diff ---\n${String(e)}`)
    }
  }
  return 'ok'
}

describe('fuzz', () => {
  test('mutated YAML text never crashes the parser', () => {
    const rand = mulberry32(0x5eed)
    let runs = 0
    const seen = { ok: 0, invalid: 0 }
    while (runs < RUNS) {
      let text = pick(rand, SEEDS)
      const steps = 1 + Math.floor(rand() * 4)
      for (let s = 0; s < steps; s++) text = mutateText(rand, text)
      seen[check(text, `text run ${runs}`)]++
      runs++
    }
    expect(seen.invalid).toBeGreaterThan(0)
  })

  test('mutated YAML data never crashes the parser, and what parses round-trips', () => {
    const rand = mulberry32(42)
    const docs = SEEDS.flatMap((s) => s.split(/^---$/m)).map((d) => parse(d) as unknown)
    let runs = 0
    const seen = { ok: 0, invalid: 0 }
    while (runs < RUNS) {
      const mutated = mutateData(rand, pick(rand, docs))
      const text = stringify(mutated, { lineWidth: 0 })
      seen[check(text, `data run ${runs}`)]++
      runs++
    }
    expect(seen.ok).toBeGreaterThan(0)
    expect(seen.invalid).toBeGreaterThan(0)
  })

  test('random CLI overrides never throw anything but ValidationError', () => {
    const rand = mulberry32(7)
    const base = parseDag(SEEDS[0]!)
    const values = ['none', '', '4', '4+', '-1', 'x', 'A100:8', 'aws/us-east-1', 'k8s', '1TB', 'best', '80,443', '99999', 'A=1', 'NOPE', '*', '0.5']
    const fields: Array<keyof TaskOverrides> = ['name', 'workdir', 'infra', 'cloud', 'region', 'zone', 'numNodes', 'cpus', 'memory', 'gpus', 'instanceType', 'diskSize', 'diskTier', 'networkTier', 'imageId', 'priority', 'localDisk']
    for (let i = 0; i < 1500; i++) {
      const o: Record<string, unknown> = {}
      for (let k = 0; k < 3; k++) o[pick(rand, fields)] = pick(rand, values)
      if (rand() < 0.3) o.ports = [pick(rand, values)]
      if (rand() < 0.3) o.envs = [pick(rand, values)]
      if (rand() < 0.2) o.useSpot = rand() < 0.5
      try {
        applyOverrides(base, o as TaskOverrides, { processEnv: {} })
      } catch (e) {
        if (!(e instanceof ValidationError)) throw new Error(`overrides ${JSON.stringify(o)}: ${String(e)}`)
        for (const issue of e.issues) expect(issue.path).not.toBe('')
      }
    }
  })
})
