// The only build path: compiles src/main.ts (plus the worker entrypoints) into one executable,
// dist/sky, with bytecode for fast start-up. Version and commit are embedded; the binary never
// reads a user's .env or bunfig.toml.
import { $ } from 'bun'
import { chmodSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import pkg from '../package.json' with { type: 'json' }

const root = new URL('..', import.meta.url).pathname
const outfile = process.env.SKY_BUILD_OUT ?? `${root}dist/sky`
// Written beside the target and renamed over it: a running sky (a test, a server) keeps its file,
// and nobody ever executes a half-written one.
const partial = `${outfile}.partial-${process.pid}`
const commit = (await $`git -C ${root} rev-parse --short HEAD`.quiet().nothrow()).stdout.toString().trim() || 'unknown'

// Workers must be listed as entrypoints and referenced by their path relative to the common
// ancestor of all entrypoints (src/), injected with `define`.
const workers = { SKY_WORKER_REQUEST: 'workers/request-worker.ts', SKY_WORKER_RETENTION: 'workers/retention-worker.ts', SKY_WORKER_CONTROLLER: 'workers/controller-worker.ts' }

mkdirSync(dirname(outfile), { recursive: true })
await (await import('./build-dashboard')).writeDashboard()
const started = performance.now()
const sdk = await (await import('./build-cloud-sdk')).buildCloudSdk(root)
const result = await Bun.build({
  plugins: [sdk.plugin],
  entrypoints: [`${root}src/main.ts`, ...Object.values(workers).map((w) => `${root}src/${w}`)],
  compile: { outfile: partial, autoloadDotenv: false, autoloadBunfig: false } as never,
  minify: true,
  bytecode: true,
  // Split chunks: each command, the server and the agent load only their own code. A single
  // chunk made every start-up (even `sky --version`) pay for the whole bundle, about 2x slower.
  splitting: true,
  format: 'esm',
  target: 'bun',
  sourcemap: 'none',
  define: {
    SKY_BUILD_VERSION: JSON.stringify(pkg.version),
    SKY_BUILD_COMMIT: JSON.stringify(commit),
    SKY_BUILD_ID: JSON.stringify(`${commit}-${Date.now().toString(36)}`),
    ...Object.fromEntries(Object.entries(workers).map(([k, v]) => [k, JSON.stringify(`./${v}`)])),
  },
})
if (!result.success) {
  for (const log of result.logs) console.error(log)
  rmSync(partial, { force: true })
  process.exit(1)
}
chmodSync(partial, 0o755)
renameSync(partial, outfile)
console.error(`built ${outfile} (${pkg.version}, ${commit}) in ${Math.round(performance.now() - started)} ms`)
