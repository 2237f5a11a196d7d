// LocalRunner: the node is this machine. Commands run as `bash -c` in their own session (so abort
// and timeout kill the whole process tree by process group); upload and download are local copies
// that honour the same ignore rules as remote syncs. Commands start from a clean environment
// (src/core/sandbox/env.ts), never the server's. With `runAs` (a sandbox user of a deployed
// server) commands run as that user, and files are written into the node as that user (a tar
// stream unpacked by it), so nothing the job planted in its home (a symlink to SKY_HOME, say)
// can make the server write or read outside what that user may.
import { readdirSync, readFileSync } from 'node:fs'
import { chmod, copyFile, lstat, mkdir, rm, stat, symlink } from 'node:fs/promises'
import { constants as osConstants, homedir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { jobBaseEnv } from '../sandbox/env'
import { asUser, type SandboxUser } from '../sandbox/users'
import { RunnerFileError } from './errors'
import { listSyncEntries } from './ignore'
import type { CommandRunner, RunOptions, RunResult, UploadOptions } from './types'

export interface LocalRunnerOptions {
  /** Name in messages; default `local`. */
  label?: string
  /** The node's home: default cwd, `~` in upload/download paths, and `$HOME` of commands. Default: the user's home. */
  home?: string
  /** Environment for every command, over the clean base and under RunOptions.env. */
  env?: Record<string, string>
  /** Run commands and write files as this (unprivileged) user; needs root. */
  runAs?: SandboxUser
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
  private readonly runAs: SandboxUser | undefined

  constructor(opts: LocalRunnerOptions = {}) {
    this.label = opts.label ?? 'local'
    this.home = opts.home ?? homedir()
    this.runAs = opts.runAs
    // sky's own knobs (the agent's minute, how to re-run this binary) pass; nothing else does.
    const own = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && (k.startsWith('SKY_AGENT_') || k === 'SKY_SELF_EXEC'))) as Record<string, string>
    const who: Record<string, string> = opts.runAs ? { USER: opts.runAs.name, LOGNAME: opts.runAs.name } : {}
    this.env = { ...jobBaseEnv(process.env, { fixedPath: !!opts.runAs }), ...(opts.runAs ? {} : own), ...who, ...opts.env, HOME: this.home }
    this.killGraceMs = opts.killGraceMs ?? 2000
  }

  private argv(cmd: string): string[] {
    return this.runAs ? asUser(this.runAs, ['bash', '-c', cmd]) : ['bash', '-c', cmd]
  }

  async run(cmd: string, opts: RunOptions = {}): Promise<RunResult> {
    if (opts.signal?.aborted) return { code: SIGTERM_CODE, stdout: '', stderr: '' }
    const proc = Bun.spawn(this.argv(cmd), {
      cwd: opts.cwd ? expandHome(opts.cwd, this.home) : this.home,
      env: { ...this.env, ...opts.env },
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
    if (this.runAs) return this.uploadAsUser(localPath, remotePath, dest, st.isDirectory(), opts)
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

  /**
   * Copy as the sandbox user: the server packs the files (tar, read as itself) and the user's own
   * tar unpacks them, so every write happens with that user's rights, whatever symlinks the node
   * holds.
   */
  private async uploadAsUser(localPath: string, remotePath: string, dest: string, isDir: boolean, opts: UploadOptions): Promise<void> {
    const u = this.runAs!
    const entries = isDir ? await listSyncEntries(localPath, { exclude: opts.exclude }) : []
    const target = !isDir && remotePath.endsWith('/') ? join(dest, basename(localPath)) : dest
    const into = isDir ? dest : dirname(target)
    const names = isDir ? entries.map((e) => e.rel) : [basename(localPath)]
    const pack = Bun.spawn(['tar', '-C', isDir ? localPath : dirname(localPath), '--no-recursion', '--null', '-T', '-', '-cf', '-'], {
      stdin: new TextEncoder().encode(names.map((n) => `${n}\0`).join('')),
      stdout: 'pipe',
      stderr: 'pipe',
    })
    // `--no-overwrite-dir` keeps existing directories' modes; a symlink the user planted is
    // replaced, never followed (GNU tar's default), and the user could only write there anyway.
    const script = `mkdir -p -- "$1" && tar -C "$1" --no-same-owner --no-overwrite-dir -xf - ${!isDir && basename(target) !== basename(localPath) ? `&& mv -f -- "$1/$2" "$3"` : ''}`
    const unpack = Bun.spawn(asUser(u, ['sh', '-c', script, 'sky-upload', into, basename(localPath), target]), {
      stdin: pack.stdout,
      stdout: 'ignore',
      stderr: 'pipe',
      env: this.env,
    })
    const [pc, uc, perr, uerr] = await Promise.all([pack.exited, unpack.exited, new Response(pack.stderr).text(), new Response(unpack.stderr).text()])
    if (pc !== 0 || uc !== 0) {
      throw new RunnerFileError(this.label, `upload ${localPath} -> ${dest} as ${u.name}: ${(uerr || perr).trim().split('\n').slice(-1)[0] || `tar exited ${pc}/${uc}`}`)
    }
  }

  async download(remotePath: string, localPath: string): Promise<void> {
    const src = expandHome(remotePath, this.home)
    if (this.runAs) {
      // Read as the user (a symlink in their home must not reach the server's files).
      const r = Bun.spawnSync(asUser(this.runAs, ['cat', '--', src]), { stdout: 'pipe', stderr: 'pipe', env: this.env })
      if (r.exitCode !== 0) throw new RunnerFileError(this.label, `download ${src}: ${r.stderr.toString().trim()}`)
      await mkdir(dirname(localPath), { recursive: true })
      await Bun.write(localPath, r.stdout)
      return
    }
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
