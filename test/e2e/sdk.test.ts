// The SDK as a user installs it: the README's example is copied into a fresh project that depends
// on this package (node_modules/sky → this repository, as `npm install file:...` links it),
// type-checked there with tsc against the package's declarations (`bun run build:sdk`) under the
// strict settings `bun init` writes, and run with Bun against an API server started by dist/sky.
// Inside this repository, `sky/sdk` resolves too (the package's own exports).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launch, status, streamAndGet, tailLogs } from 'sky/sdk'
import { definitions } from '../../src/api/registry'
import { newestMtime, ROOT, tempHome, type TempHome } from '../harness'

/** The ```ts block after the `sdk-example` marker in README.md. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const at = readme.indexOf('<!-- sdk-example')
  expect(at).toBeGreaterThan(0)
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(at))
  expect(m).not.toBeNull()
  return m![1]!
}

let h: TempHome
let project: string

beforeAll(async () => {
  h = await tempHome()
  expect((await h.sky(['api', 'start'])).code).toBe(0)
  project = mkdtempSync(join(tmpdir(), 'sky-sdk-user-'))
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'sdk-user', private: true, type: 'module', dependencies: { sky: `file:${ROOT}` } }, null, 2))
  // What `bun init` writes, plus the Bun types.
  const compilerOptions = {
    lib: ['ESNext'],
    target: 'ESNext',
    module: 'Preserve',
    moduleDetection: 'force',
    moduleResolution: 'bundler',
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    noFallthroughCasesInSwitch: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    types: ['bun'],
  }
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts'] }, null, 2))
  mkdirSync(join(project, 'node_modules', '@types'), { recursive: true })
  symlinkSync(ROOT, join(project, 'node_modules', 'sky'))
  symlinkSync(join(ROOT, 'node_modules', '@types', 'bun'), join(project, 'node_modules', '@types', 'bun'))
  writeFileSync(join(project, 'example.ts'), readmeExample())
}, 60_000)

afterAll(async () => {
  await h.sky(['down', '-a', '-y'])
  await h.cleanup()
  rmSync(project, { recursive: true, force: true })
})

describe('sky/sdk', () => {
  test('resolves inside this repository: the operations are the API definitions', () => {
    expect(definitions).toContain(launch)
    expect(launch.route).toBe('/launch')
    expect(status.name).toBe('sky.status')
    expect(typeof streamAndGet).toBe('function')
    expect(typeof tailLogs).toBe('function')
  })

  test("the README example type-checks in a project that depends on this package", () => {
    const tsc = (args: string[], cwd: string) => Bun.spawnSync([join(ROOT, 'node_modules/.bin/tsc'), ...args], { cwd, stdout: 'pipe', stderr: 'pipe' })
    // The declarations, unless already built from the current sources.
    const dts = join(ROOT, 'dist/types/sdk/index.d.ts')
    if (!existsSync(dts) || statSync(dts).mtimeMs < newestMtime(join(ROOT, 'src'))) {
      const decls = tsc(['-p', 'tsconfig.sdk.json'], ROOT)
      expect({ code: decls.exitCode, out: decls.stdout.toString() }).toEqual({ code: 0, out: '' })
    }
    const check = tsc(['-p', project], project)
    expect({ code: check.exitCode, out: check.stdout.toString() }).toEqual({ code: 0, out: '' })
    // A mistake in the example's use of the API would be caught the same way.
    writeFileSync(join(project, 'wrong.ts'), "import { launch } from 'sky/sdk'\nawait launch({ task: 'run: true', cluster: 'x' })\n")
    const wrong = tsc(['-p', project], project)
    expect(wrong.exitCode).toBe(2)
    expect(wrong.stdout.toString()).toContain("'cluster' does not exist")
    rmSync(join(project, 'wrong.ts'))
  }, 180_000)

  test('the README example runs against the compiled binary: launch, stream, get, down', async () => {
    const p = Bun.spawn([process.execPath, 'example.ts'], { cwd: project, env: h.env, stdout: 'pipe', stderr: 'pipe' })
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
    expect({ code, stderr: code ? stderr : '' }).toEqual({ code: 0, stderr: '' })
    expect(stdout).toMatch(/\(task, pid=\d+\) hello from /)
    expect(stdout).toMatch(/job 1 on sdk-demo: SUCCEEDED/)
    expect(stdout).toContain('sdk-demo is UP: 1x(')
    expect(stdout).toContain('jobs: 1 SUCCEEDED')
    expect(stdout).toContain('logs exit code 0')
    expect(stdout).toContain('sdk-demo is down')
    // The same server (the binary's) did the work: the cluster is gone there too.
    expect((await h.sky(['status'])).stdout).toContain('No existing clusters.')
    const names = JSON.parse((await h.sky(['api', 'status', '-a', '-o', 'json'])).stdout).map((r: { name: string }) => r.name)
    expect(names).toEqual(expect.arrayContaining(['sky.launch', 'sky.status', 'sky.queue', 'sky.logs', 'sky.down']))
  }, 180_000)
})
