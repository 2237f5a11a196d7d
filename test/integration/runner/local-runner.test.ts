import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync, symlinkSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalRunner } from '../../../src/core/runner/local.ts'
import { RunnerFileError } from '../../../src/core/runner/errors.ts'

let dir: string
const runner = new LocalRunner({ killGraceMs: 1000 })
const tag = `skyt${process.pid}x${Math.random().toString(36).slice(2, 8)}`

function pgrep(pattern: string): string[] {
  const r = Bun.spawnSync(['pgrep', '-f', pattern])
  return r.stdout.toString().trim().split('\n').filter(Boolean)
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sky-local-runner-'))
})
afterAll(() => {
  // Every test checks it left nothing behind; kill by pid whatever (of this run's tag) a failing one left.
  for (const pid of pgrep(tag)) {
    try {
      process.kill(Number(pid), 'SIGKILL')
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true })
})

describe('LocalRunner.run', () => {
  test('exit codes and captured output', async () => {
    expect(await runner.run('echo out; echo err >&2; exit 3')).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' })
    expect((await runner.run('true')).code).toBe(0)
    expect((await runner.run('kill -KILL $$')).code).toBe(137)
  })

  test('streams output chunks instead of keeping them', async () => {
    const chunks: string[] = []
    const r = await runner.run('printf "h\\xc3"; sleep 0.05; printf "\\xa9llo\\n"; echo e >&2', {
      onStdout: (c) => chunks.push(c),
    })
    expect(chunks.join('')).toBe('héllo\n')
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe('e\n')
  })

  test('env, cwd and stdin', async () => {
    const r = await runner.run('echo "$FOO|$(pwd)|$(cat)"; echo "${PATH:+haspath}"', {
      env: { FOO: 'bar baz' },
      cwd: dir,
      stdin: 'from stdin',
    })
    expect(r.stdout).toBe(`bar baz|${dir}|from stdin\nhaspath\n`)
  })

  test('a home option sets the default cwd, $HOME and ~ in paths', async () => {
    const home = join(dir, 'nodehome')
    mkdirSync(home)
    const node = new LocalRunner({ home })
    expect((await node.run('pwd; echo $HOME')).stdout).toBe(`${home}\n${home}\n`)
    writeFileSync(join(dir, 'f.txt'), 'x')
    await node.upload(join(dir, 'f.txt'), '~/a/b/f.txt')
    expect(readFileSync(join(home, 'a/b/f.txt'), 'utf8')).toBe('x')
  })

  test('abort kills the whole tree, grandchildren included', async () => {
    const ac = new AbortController()
    const p = runner.run(`bash -c 'sleep 301 # ${tag}-a' & (sleep 302 # ${tag}-b\n) & echo started; wait`, {
      signal: ac.signal,
      onStdout: () => ac.abort(),
    })
    const r = await p
    expect(r.code).toBe(143)
    expect(pgrep(tag)).toEqual([])
  })

  test('a process ignoring SIGTERM is killed after the grace period', async () => {
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 200)
    const r = await runner.run(`trap "" TERM; sleep 303 # ${tag}-c\n`, { signal: ac.signal })
    expect(r.code).toBe(137)
    expect(pgrep(tag)).toEqual([])
  })

  test('timeout returns 124 and kills the tree', async () => {
    const r = await runner.run(`echo before; sleep 304 # ${tag}-d\n`, { timeoutMs: 300 })
    expect(r.code).toBe(124)
    expect(r.stdout).toBe('before\n')
    expect(pgrep(tag)).toEqual([])
  })

  test('an already aborted signal runs nothing', async () => {
    const ac = new AbortController()
    ac.abort()
    const marker = join(dir, 'should-not-exist')
    const r = await runner.run(`touch ${marker}`, { signal: ac.signal })
    expect(r.code).toBe(143)
    expect(existsSync(marker)).toBe(false)
  })
})

describe('LocalRunner upload/download', () => {
  test('directory upload honours .gitignore (nested), .git and excludes; keeps modes and links', async () => {
    const src = join(dir, 'src')
    mkdirSync(join(src, 'sub/deep'), { recursive: true })
    mkdirSync(join(src, '.git'), { recursive: true })
    mkdirSync(join(src, 'build'), { recursive: true })
    writeFileSync(join(src, '.git/HEAD'), 'ref')
    writeFileSync(join(src, '.gitignore'), '*.log\nbuild/\n!keep.log\n')
    writeFileSync(join(src, 'sub/.gitignore'), 'secret.txt\n')
    writeFileSync(join(src, 'a.txt'), 'a')
    writeFileSync(join(src, 'x.log'), 'x')
    writeFileSync(join(src, 'keep.log'), 'k')
    writeFileSync(join(src, 'build/out'), 'o')
    writeFileSync(join(src, 'sub/secret.txt'), 's')
    writeFileSync(join(src, 'secret.txt'), 'top-level secret is not ignored by sub/.gitignore')
    writeFileSync(join(src, 'sub/deep/run.sh'), '#!/bin/sh\n')
    writeFileSync(join(src, 'sub/deep/tmp.cache'), 'c')
    chmodSync(join(src, 'sub/deep/run.sh'), 0o750)
    symlinkSync('a.txt', join(src, 'link'))
    const dst = join(dir, 'dst')
    await runner.upload(src, dst, { exclude: ['*.cache'] })
    const files = Bun.spawnSync(['find', '.', '-mindepth', '1'], { cwd: dst }).stdout.toString().trim().split('\n').sort()
    expect(files).toEqual(
      ['./.gitignore', './a.txt', './keep.log', './link', './secret.txt', './sub', './sub/.gitignore', './sub/deep', './sub/deep/run.sh'].sort(),
    )
    expect(statSync(join(dst, 'sub/deep/run.sh')).mode & 0o777).toBe(0o750)
    expect(readlinkSync(join(dst, 'link'))).toBe('a.txt')
  })

  test('.skyignore replaces .gitignore', async () => {
    const src = join(dir, 'src2')
    mkdirSync(join(src, 'data'), { recursive: true })
    writeFileSync(join(src, '.skyignore'), '/data\n')
    writeFileSync(join(src, '.gitignore'), '*.txt\n')
    writeFileSync(join(src, 'a.txt'), 'a')
    writeFileSync(join(src, 'data/big'), 'b')
    const dst = join(dir, 'dst2')
    await runner.upload(src, dst)
    expect(existsSync(join(dst, 'a.txt'))).toBe(true)
    expect(existsSync(join(dst, 'data'))).toBe(false)
  })

  test('file upload and download create parents; missing source is a clear error', async () => {
    writeFileSync(join(dir, 'one.bin'), Buffer.from([0, 1, 2, 255]))
    await runner.upload(join(dir, 'one.bin'), join(dir, 'x/y/one.bin'))
    await runner.download(join(dir, 'x/y/one.bin'), join(dir, 'back/one.bin'))
    expect([...readFileSync(join(dir, 'back/one.bin'))]).toEqual([0, 1, 2, 255])
    await expect(runner.download(join(dir, 'nope'), join(dir, 'n'))).rejects.toThrow(RunnerFileError)
    await expect(runner.upload(join(dir, 'nope'), join(dir, 'n'))).rejects.toThrow(/local: upload .*nope: no such file/)
  })
})
