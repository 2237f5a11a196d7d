// Benchmark: catalog load time and optimizer time per query over the whole bundled catalog.
//   bun scripts/bench/optimizer.ts [--runs N]
// Targets: catalog load <= 10 ms (median, fresh process), optimize <= 5 ms per query (median).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildCatalog } from '../../src/core/catalog/load'
import { acceleratorCounts } from '../../src/core/catalog/query'
import type { RawCloudCatalog } from '../../src/core/catalog/types'
import { optimize } from '../../src/core/optimizer'
import type { LiveNode } from '../../src/core/infra/types'
import type { Resources, ResourcesSpec } from '../../src/core/task/types'

const runsArg = process.argv.indexOf('--runs')
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function ms(n: number): string {
  return `${n.toFixed(2)} ms`
}

const root = join(import.meta.dir, '..', '..')
const dataDir = join(root, 'src', 'core', 'catalog', 'data')

// 1. Cold load: a fresh process imports the loader and expands the bundled catalog.
const probe = `const t0 = performance.now(); const m = await import(${JSON.stringify(join(root, 'src/core/catalog/load.ts'))}); const c = m.loadCatalog(); console.log(performance.now() - t0, [...c.clouds.values()].reduce((a, x) => a + x.offers.length, 0))`
const cold: number[] = []
let offerCount = 0
for (let i = 0; i < Math.min(RUNS, 11); i++) {
  const r = Bun.spawnSync([process.execPath, '-e', probe], { cwd: root })
  const [t, n] = r.stdout.toString().trim().split(/\s+/).map(Number)
  if (!Number.isFinite(t)) throw new Error(`probe failed: ${r.stderr.toString()}`)
  cold.push(t)
  offerCount = n
}

// 2. Warm rebuild: read + parse JSON + expand, in this process.
const warm: number[] = []
for (let i = 0; i < RUNS * 4; i++) {
  const t0 = performance.now()
  const raws = ['aws', 'gcp'].map((c) => JSON.parse(readFileSync(join(dataDir, `${c}.json`), 'utf8')) as RawCloudCatalog)
  buildCatalog(raws)
  warm.push(performance.now() - t0)
}

// 3. Optimizer queries over the whole catalog: every GPU x count, CPU shapes, spot, any_of.
const catalog = buildCatalog(['aws', 'gcp'].map((c) => JSON.parse(readFileSync(join(dataDir, `${c}.json`), 'utf8')) as RawCloudCatalog))
const specs: ResourcesSpec[] = []
const one = (r: Resources): ResourcesSpec => ({ mode: 'single', candidates: [r] })
specs.push(one({}), one({ useSpot: true }), one({ cpus: { value: 4, orMore: false } }), one({ memory: { value: 256, orMore: true } }))
specs.push(one({ cpus: { value: 32, orMore: true }, memory: { value: 64, orMore: true }, infra: { region: 'eu-west-1' } }))
for (const cat of catalog.clouds.values()) {
  for (const [gpu, counts] of acceleratorCounts(cat)) {
    for (const count of counts) {
      specs.push(one({ accelerator: { name: gpu, count } }))
      specs.push(one({ accelerator: { name: gpu, count }, useSpot: true }))
    }
  }
}
specs.push({
  mode: 'any_of',
  candidates: ['H100', 'A100', 'A100-80GB', 'L4', 'A10G'].map((name) => ({ accelerator: { name, count: 8 } })),
})
specs.push({ mode: 'ordered', candidates: [{ accelerator: { name: 'H200', count: 8 } }, { accelerator: { name: 'H100', count: 8 } }] })
const liveNodes: LiveNode[] = Array.from({ length: 64 }, (_, i) => ({
  infra: 'kubernetes',
  region: `ctx-${i % 4}`,
  name: `node-${i}`,
  cpus: 64,
  memoryGb: 512,
  gpus: { name: i % 2 ? 'H100' : 'L4', count: 8 },
}))
const enabled = { infra: ['kubernetes', 'aws', 'gcp'], regions: { kubernetes: ['ctx-0', 'ctx-1', 'ctx-2', 'ctx-3'] } }

const perQuery: number[] = []
let failures = 0
for (let round = 0; round < RUNS; round++) {
  for (const spec of specs) {
    const t0 = performance.now()
    try {
      optimize({ spec, enabled, liveNodes, catalog })
    } catch {
      failures++
    }
    perQuery.push(performance.now() - t0)
  }
}

const coldMed = median(cold)
const qMed = median(perQuery)
console.log(`catalog: ${offerCount} offers (aws + gcp)`)
console.log(
  `catalog load, fresh process (median of ${cold.length}): ${ms(coldMed)}, best ${ms(Math.min(...cold))}  [target <= 10 ms] ${coldMed <= 10 ? 'OK' : 'OVER'}`,
)
console.log(`catalog rebuild, read + parse + expand (median of ${warm.length}): ${ms(median(warm))}`)
console.log(
  `optimize per query (median of ${perQuery.length}, ${specs.length} queries x ${RUNS} rounds): ${ms(qMed)}, p95 ${ms(
    [...perQuery].sort((a, b) => a - b)[Math.floor(perQuery.length * 0.95)],
  )}, max ${ms(Math.max(...perQuery))}  [target <= 5 ms] ${qMed <= 5 ? 'OK' : 'OVER'}`,
)
console.log(`infeasible queries (expected for spot-less types): ${failures / RUNS} per round`)
