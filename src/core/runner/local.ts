// LocalRunner: the node is this machine. Commands run as `bash -c` in their own session (so abort
// and timeout kill the whole process tree by process group); upload and download are local copies
// that honour the same ignore rules as remote syncs.
import { readdirSync, readFileSync } from 'node:fs'
import { chmod, copyFile, lstat, mkdir, rm, stat, symlink } from 'node:fs/promises'
import { constants as osConstants, homedir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { RunnerFileError } from './errors'
import { listSyncEntries } from './ignore'
import type { CommandRunner, RunOptions, RunResult, UploadOptions } from './types'

export interface LocalRunnerOptions {
  /** Name in messages; default `local`. */
  label?: string
  /** The node's home: default cwd, `~` in upload/download paths, and `$HOME` of commands. Default: the user's home. */
  home?: string
  /** Environment for every command, over process.env and under RunOptions.env. */
  env?: Record<string, string>
  /** How long a killed tree gets between SIGTERM and SIGKILL. Default 2000 ms. */
  killGraceMs?: number
}

const SIGTERM_CODE = 128 + osConstants.signals.SIGTERM

/** Expand a leading `~` or `~/` against `home`. */
export function expandHome(path: string, home: string): string {
  if (path === '~') return home
  if (path.startsWith('~/')) return join(home, path.slice(2))
  return path
}

export class LocalRunner implements CommandRunner {
  readonly label: string
  private readonly home: string
  private readonly env: Record<string, string>
  private readonly killGraceMs: number

  constructor(opts: LocalRunnerOptions = {}) {
    this.label = opts.label ?? 'local'
    this.home = opts.home ?? homedir()
    this.env = { ...opts.env, ...(opts.home ? { HOME: opts.home } : {}) }
    this.killGraceMs = opts.killGraceMs ?? 2000
  }

  async run(cmd: string, opts: RunOptions = {}): Promise<RunResult> {
    if (opts.signal?.aborted) return { code: SIGTERM_CODE, stdout: '', stderr: '' }
    const proc = Bun.spawn(['bash', '-c', cmd], {
      cwd: opts.cwd ? expandHome(opts.cwd, this.home) : this.home,
      env: { ...process.env, ...this.env, ...opts.env },
      stdin: opts.stdin === undefined ? 'ignore' : 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      detached: true,
    })
    if (opts.stdin !== undefined && proc.stdin) {
      try {
        proc.stdin.write(opts.stdin)
        await proc.stdin.end()
      } catch {
        // The command exited or closed stdin without reading it all.
      }
    }

    const state: { killedBy: 'abort' | 'timeout' | null; killing: Promise<void> | null } = { killedBy: null, killing: null }
    let onKill = () => {}
    const killed = new Promise<void>((resolve) => (onKill = resolve))
    const kill = (why: 'abort' | 'timeout') => {
      if (state.killedBy) return
      state.killedBy = why
      state.killing = killGroup(proc.pid, this.killGraceMs, proc.exited)
      onKill()
    }
    const onAbort = () => kill('abort')
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    const timer = opts.timeoutMs ? setTimeout(() => kill('timeout'), opts.timeoutMs) : null

    const out = collect(proc.stdout, opts.onStdout)
    const err = collect(proc.stderr, opts.onStderr)
    // A background child may keep the pipes open after bash exits; once we kill the tree, do not
    // wait for them beyond the grace period.
    const drained = Promise.all([proc.exited, out.done, err.done])
    await Promise.race([drained, killed.then(() => Promise.race([drained, Bun.sleep(this.killGraceMs + 500)]))])
    let code = await proc.exited
    if (state.killing) await state.killing
    if (timer) clearTimeout(timer)
    opts.signal?.removeEventListener('abort', onAbort)
    if (state.killedBy === 'timeout') code = 124
    return { code, stdout: out.text(), stderr: err.text() }
  }

  async upload(localPath: string, remotePath: string, opts: UploadOptions = {}): Promise<void> {
    const dest = expandHome(remotePath, this.home)
    const st = await stat(localPath).catch(() => null)
    if (!st) throw new RunnerFileError(this.label, `upload ${localPath}: no such file or directory`)
    try {
      if (!st.isDirectory()) {
        const target = remotePath.endsWith('/') ? join(dest, basename(localPath)) : dest
        await mkdir(dirname(target), { recursive: true })
        await copyFile(localPath, target)
        await chmod(target, st.mode & 0o7777)
        return
      }
      await mkdir(dest, { recursive: true })
      const entries = await listSyncEntries(localPath, { exclude: opts.exclude })
      for (const e of entries.filter((x) => x.kind === 'dir')) await mkdir(join(dest, e.rel), { recursive: true })
      await Promise.all(
        entries
          .filter((e) => e.kind !== 'dir')
          .map(async (e) => {
            const target = join(dest, e.rel)
            if (e.kind === 'symlink') {
              await rm(target, { force: true })
              await symlink(e.linkTarget!, target)
              return
            }
            await copyFile(e.abs, target)
            await chmod(target, e.mode)
          }),
      )
      for (const e of entries.filter((x) => x.kind === 'dir')) await chmod(join(dest, e.rel), e.mode)
    } catch (err) {
      throw new RunnerFileError(this.label, `upload ${localPath} -> ${dest}: ${(err as Error).message}`, { cause: err })
    }
  }

  async download(remotePath: string, localPath: string): Promise<void> {
    const src = expandHome(remotePath, this.home)
    const st = await lstat(src).catch(() => null)
    if (!st) throw new RunnerFileError(this.label, `download ${src}: no such file`)
    if (st.isDirectory()) throw new RunnerFileError(this.label, `download ${src}: is a directory`)
    try {
      await mkdir(dirname(localPath), { recursive: true })
      await copyFile(src, localPath)
    } catch (err) {
      throw new RunnerFileError(this.label, `download ${src} -> ${localPath}: ${(err as Error).message}`, { cause: err })
    }
  }

  async close(): Promise<void> {}
}

/** SIGTERM the process group, wait for it to empty (at most `graceMs`), then SIGKILL what is left. */
async function killGroup(pgid: number, graceMs: number, exited: Promise<number>): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return
  const deadline = Date.now() + graceMs
  await Promise.race([exited, Bun.sleep(graceMs)])
  while (Date.now() < deadline) {
    if (!groupAlive(pgid)) return
    await Bun.sleep(25)
  }
  signalGroup(pgid, 'SIGKILL')
  for (let i = 0; i < 40 && groupAlive(pgid); i++) await Bun.sleep(25)
}

/**
 * Whether any live (non-zombie) process is in group `pgid`. Zombies answer kill(0) too and may
 * linger where PID 1 reaps slowly, so on Linux read /proc instead.
 */
export function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false
  if (process.platform !== 'linux') return true
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n))
  } catch {
    return true
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      // Fields after the command name (which may hold spaces): state ppid pgrp ...
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true
    } catch {
      // The process went away while scanning.
    }
  }
  return false
}

/** Send `sig` to every process in group `pgid`; false when the group no longer exists. */
function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig)
    return true
  } catch {
    return false
  }
}

/** Read a byte stream as text (UTF-8 safe across chunks), forwarding or keeping it. */
export function collect(
  stream: ReadableStream<Uint8Array>,
  onChunk?: (chunk: string) => void,
): { done: Promise<void>; text: () => string } {
  const decoder = new TextDecoder()
  const kept: string[] = []
  const emit = (s: string) => {
    if (!s) return
    if (onChunk) onChunk(s)
    else kept.push(s)
  }
  const done = (async () => {
    const reader = stream.getReader()
    try {
      for (;;) {
        const { value, done: end } = await reader.read()
        if (end) break
        emit(decoder.decode(value, { stream: true }))
      }
    } catch {
      // The pipe broke; keep what was read.
    } finally {
      emit(decoder.decode())
    }
  })()
  return { done, text: () => kept.join('') }
}
