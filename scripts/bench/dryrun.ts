// `sky launch --dryrun task.yaml` end to end against a warm local server (target <= 60 ms).
// Usage: bun scripts/bench/dryrun.ts   (build first: bun scripts/build.ts)
import { join } from 'node:path'
import { BIN, ROOT, freePort, median, report, tempDir, timeRun } from './lib'

const home = tempDir()
const port = await freePort()
const env = { PATH: process.env.PATH!, HOME: home, SKY_HOME: home, SKYPILOT_API_SERVER_ENDPOINT: `http://127.0.0.1:${port}`, NO_COLOR: '1' }
Bun.spawnSync([BIN, 'api', 'start'], { env })
const rows: [string, string, string, boolean][] = []
for (const f of ['any-of.yaml', 'serve.yaml', 'multinode-torchrun.yaml']) {
  const args = [BIN, 'launch', '--dryrun', '-c', 'bench', join(ROOT, 'test/fixtures/tasks', f), '--env', 'WANDB_PROJECT=x', '--secret', 'HF_TOKEN=x']
  timeRun(args, env)
  const t = median(Array.from({ length: 11 }, () => timeRun(args, env)))
  rows.push([`sky launch --dryrun ${f}`, `${t.toFixed(1)} ms`, '<= 60 ms', t <= 60])
}
Bun.spawnSync([BIN, 'api', 'stop'], { env })
report(rows)
