// Kubernetes figures (issue 13) with the compiled binary against the test Kubernetes API server
// over TLS (test/harness/k8s; pods are local process groups, in their own network namespace as
// root): 3 contexts × 50 nodes (40 with 8x H100, 10 CPU-only each).
//   launch, first time  a new API server (client-node not loaded yet, runtime not yet compressed),
//                       a fresh pod: the runtime is compressed and copied in through exec
//   launch, cached      a new cluster (fresh pod) once the compressed runtime is kept on the server
//   launch, in place    `sky launch` again on the UP cluster (runtime already in the pod)
//   exec to output, `sky gpus list --infra k8s`
// Usage: bun scripts/bench/k8s.ts   (build first: bun scripts/build.ts)
import { rmSync } from 'node:fs'
import { nodeSpecs, startKubeApi } from '../../test/harness/k8s'
import { BIN, freePort, median, removeHome, report, tempDir, timeUntilOutput } from './lib'

const k8s = await startKubeApi({
  tls: true,
  contexts: ['a', 'b', 'c'].map((n) => ({
    name: `ctx-${n}`,
    nodes: [...nodeSpecs(40, { prefix: `${n}-gpu`, gpus: 8, gpuType: 'H100', cpu: 96, memory: 1024 }), ...nodeSpecs(10, { prefix: `${n}-cpu`, cpu: 32, memory: 128 })],
  })),
})
const home = tempDir()
const port = await freePort()
const env = { PATH: process.env.PATH!, HOME: home, SKY_HOME: home, SKYPILOT_API_SERVER_ENDPOINT: `http://127.0.0.1:${port}`, NO_COLOR: '1', KUBECONFIG: k8s.kubeconfig() }
const rows: [string, string, string, boolean][] = []
const ms = (t: number) => `${t.toFixed(0)} ms`

/** Run the binary to its end (never spawnSync: the API server it talks to lives in this process); ms taken. */
async function run(args: string[]): Promise<number> {
  const t = performance.now()
  const p = Bun.spawn([BIN, ...args], { env, stdout: 'ignore', stderr: 'pipe' })
  const code = await p.exited
  if (code !== 0) throw new Error(`sky ${args.join(' ')} exited ${code}: ${await new Response(p.stderr).text()}`)
  return performance.now() - t
}

const timeUntil = (args: string[], needle: string) => timeUntilOutput(BIN, args, env, needle)

try {
  rmSync(`${home}/cache`, { recursive: true, force: true })
  await run(['api', 'start'])
  await run(['check', 'k8s'])
  // Restart, so the launch meets a server that has loaded nothing yet.
  await run(['api', 'stop'])
  await run(['api', 'start'])
  const first = await timeUntil(['launch', '-y', '-c', 'b0', '--infra', 'k8s/ctx-a', '--', 'echo hi'], ') hi')
  rows.push(['launch -- echo hi, first time (fresh pod, runtime copied)', ms(first), '<= 3000 ms', first <= 3000])

  const cached: number[] = []
  for (let i = 1; i <= 3; i++) cached.push(await timeUntil(['launch', '-y', '-c', `b${i}`, '--infra', 'k8s/ctx-b', '--', 'echo hi'], ') hi'))
  const warm = median(cached)
  rows.push(['launch -- echo hi, new pod, compressed runtime cached', ms(warm), '<= 1500 ms', warm <= 1500])

  const again: number[] = []
  for (let i = 0; i < 3; i++) again.push(await timeUntil(['launch', '-y', '-c', 'b0', '--', 'echo hi'], ') hi'))
  const inPlace = median(again)
  rows.push(['launch -- echo hi again on the UP cluster (runtime in pod)', ms(inPlace), '<= 1500 ms', inPlace <= 1500])

  const execs: number[] = []
  for (let i = 0; i < 9; i++) execs.push(await timeUntil(['exec', 'b0', '--', 'echo out'], ') out'))
  const exec = median(execs)
  rows.push(['sky exec to output', ms(exec), '<= 400 ms', exec <= 400])

  const gpus: number[] = []
  for (let i = 0; i < 9; i++) gpus.push(await run(['gpus', 'list', '--infra', 'k8s']))
  const g = median(gpus)
  rows.push(['sky gpus list --infra k8s, 3 contexts x 50 nodes', ms(g), '<= 500 ms', g <= 500])
  const help: number[] = []
  for (let i = 0; i < 15; i++) help.push(await run(['--help']))
  rows.push(['sky --help (cloud SDKs outside the CLI graph)', `${median(help).toFixed(1)} ms`, '<= 25 ms', median(help) <= 25])
  report(rows)
} finally {
  await run(['down', '-a', '-y']).catch((e) => console.error(`down: ${(e as Error).message}`))
  await run(['api', 'stop']).catch(() => {})
  await k8s.stop()
  removeHome(home)
}
