#!/usr/bin/env bun
// The test runner behind `npm test`: every test file runs in its own `bun test` process (so no file
// can depend on another's leftovers or order), several at once, longest first. Most of the suite
// waits on real processes (sshd, agents, API servers, test peers), so a few files at a time fit two
// cores; each file's output is printed whole when it finishes, then one summary in bun's words.
//
//   bun scripts/test.ts [--jobs N] [--timeout MS] [--repeat N] [path filters...]
//
// --repeat N runs the files listed in test/repeat.txt (the ones that race processes, crash servers
// or wait on timers) N more times after the full pass; CI uses it so that a flaky test cannot land.
// A failure in any round fails the run.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, relative } from 'node:path'

interface Options {
  jobs: number
  timeout: number
  repeat: number
  filters: string[]
}

interface FileResult {
  file: string
  round: number
  pass: number
  fail: number
  failures: string[]
  seconds: number
  code: number
}

const ROOT = join(import.meta.dir, '..')

function parseArgs(argv: string[]): Options {
  const o: Options = { jobs: Math.max(3, availableParallelism() + 1), timeout: 120_000, repeat: 0, filters: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const num = (name: string) => {
      const v = Number(argv[++i])
      if (!Number.isInteger(v) || v < 0) throw new Error(`${name} needs a whole number, got ${argv[i] ?? 'nothing'}`)
      return v
    }
    if (a === '--jobs' || a === '-j') o.jobs = Math.max(1, num(a))
    else if (a === '--timeout') o.timeout = num(a)
    else if (a === '--repeat') o.repeat = num(a)
    else if (a.startsWith('-')) throw new Error(`unknown option ${a} (use --jobs, --timeout, --repeat)`)
    else o.filters.push(a)
  }
  if (process.env.SKY_TEST_JOBS) o.jobs = Math.max(1, Number(process.env.SKY_TEST_JOBS) || o.jobs)
  return o
}

function listTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (name === 'node_modules' || name === 'fixtures') continue
    if (statSync(p).isDirectory()) listTests(p, out)
    else if (name.endsWith('.test.ts')) out.push(relative(ROOT, p))
  }
  return out
}

/** test/repeat.txt: one test file per line, `#` starts a comment. */
function repeatList(): string[] {
  const text = readFileSync(join(ROOT, 'test', 'repeat.txt'), 'utf8')
  const files = text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
  for (const f of files) if (!existsSync(join(ROOT, f))) throw new Error(`test/repeat.txt names ${f}, which does not exist`)
  return files
}

/** Heavier kinds first so the long files do not start last; within a kind, larger files first. */
function weight(file: string): number {
  const kind = file.startsWith('test/e2e/') ? 4 : file.startsWith('test/conformance/') ? 3 : file.startsWith('test/integration/') ? 2 : 1
  return kind * 1e7 + statSync(join(ROOT, file)).size
}

function runFile(file: string, round: number, o: Options): Promise<{ result: FileResult; output: string }> {
  const started = performance.now()
  const proc = Bun.spawn(['bun', 'test', '--timeout', String(o.timeout), `./${file}`], {
    cwd: ROOT,
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, FORCE_COLOR: '0' },
  })
  return Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]).then(([out, err, code]) => {
    const output = out + err
    const count = (word: string) => Number(output.match(new RegExp(`^\\s*(\\d+) ${word}$`, 'm'))?.[1] ?? 0)
    const failures = [...output.matchAll(/^\(fail\) (.*)$/gm)].map((m) => m[1]!)
    let fail = count('fail')
    // A file that crashed, or exited non-zero with nothing failed, still counts as one failure.
    if (code !== 0 && fail === 0) {
      fail = 1
      failures.push(`${file}: bun test exited with ${code} (no test reported a failure; see its output)`)
    }
    const seconds = (performance.now() - started) / 1000
    return { result: { file, round, pass: count('pass'), fail, failures: [...new Set(failures)], seconds, code }, output }
  })
}

async function runAll(files: string[], round: number, o: Options, results: FileResult[]): Promise<void> {
  const queue = [...files]
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const { result, output } = await runFile(file, round, o)
      results.push(result)
      const tag = round > 0 ? ` (repeat ${round})` : ''
      process.stdout.write(`\n${file}${tag}: ${result.pass} pass, ${result.fail} fail [${result.seconds.toFixed(1)}s]\n${output.trimEnd()}\n`)
    }
  }
  await Promise.all(Array.from({ length: Math.min(o.jobs, files.length) }, worker))
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2))
  const all = listTests(join(ROOT, 'test'))
  const files = (o.filters.length ? all.filter((f) => o.filters.some((x) => f.includes(x.replace(/^\.\//, '')))) : all).sort(
    (a, b) => weight(b) - weight(a),
  )
  if (!files.length) {
    process.stderr.write(`no test files match ${o.filters.join(' ')}\n`)
    return 1
  }
  const started = performance.now()
  const results: FileResult[] = []
  process.stdout.write(`running ${files.length} test files, ${o.jobs} at a time, timeout ${o.timeout} ms per test\n`)
  await runAll(files, 0, o, results)
  const again = repeatList().filter((f) => files.includes(f))
  for (let r = 1; r <= o.repeat && again.length; r++) await runAll(again, r, o, results)

  const pass = results.reduce((n, r) => n + r.pass, 0)
  const fail = results.reduce((n, r) => n + r.fail, 0)
  const slowest = [...results].sort((a, b) => b.seconds - a.seconds).slice(0, 8)
  process.stdout.write('\nslowest files:\n')
  for (const r of slowest) process.stdout.write(`  ${r.seconds.toFixed(1).padStart(6)}s  ${r.file}${r.round ? ` (repeat ${r.round})` : ''}\n`)
  if (fail) {
    process.stdout.write(`\n${fail} tests failed:\n`)
    for (const r of results) for (const f of r.failures) process.stdout.write(`(fail) ${r.file}${r.round ? ` (repeat ${r.round})` : ''}: ${f}\n`)
  }
  const total = ((performance.now() - started) / 1000).toFixed(1)
  process.stdout.write(`\n ${pass} pass\n ${fail} fail\nRan ${results.length} file runs (${files.length} files). [${total}s]\n`)
  return fail ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`error: ${err.message}\n`)
    process.exit(2)
  },
)
