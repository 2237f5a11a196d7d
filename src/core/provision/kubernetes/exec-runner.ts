// CommandRunner for a pod over the Kubernetes exec API (no sshd in the pod): each command is one
// exec stream running the same session wrapper as over SSH (runner/remote-command.ts), so an
// abort or timeout kills the command's whole process group through a second exec. Uploads are a
// tar stream into `tar -x` (directories, honouring .skyignore/.gitignore like every sync) or the
// file's bytes; downloads are `cat`.
//
// Stdin is always bounded by `head -c <bytes>` on the pod side instead of relying on the stream's
// end: only the v5 exec protocol (Kubernetes 1.30+) can close stdin without closing everything;
// an older API server speaks v4, where ending stdin would cut off the output and the exit status.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { mkdir, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { listSyncEntries } from '../../runner/ignore'
import { RunnerFileError, RunnerTransportError } from '../../runner/errors'
import { MarkedStderr, TextSink } from '../../runner/output-sinks'
import { killGroupCommand, shPath, wrapRemoteCommand } from '../../runner/remote-command'
import type { CommandRunner, RunOptions, RunResult, UploadOptions } from '../../runner/types'
import type { ExecResult } from '../cloud-sdk/kubernetes'
import { apiStatus, describeFailure, kube } from './api'

/** How the API server reaches one pod (kept in the node handle's `connect`). */
export interface PodTarget {
  context: string
  namespace: string
  pod: string
  container: string
}

const SIGTERM_CODE = 143

export interface RawExec {
  stdin?: AsyncIterable<Uint8Array> | Uint8Array | string
  /** Length of `stdin` (needed for a stream); Infinity: unbounded, the command sees its end only on v5 servers. */
  stdinBytes?: number
  onStdout?: (b: Uint8Array) => void
  onStderr?: (b: Uint8Array) => void
  signal?: AbortSignal
}

export class KubeExecRunner implements CommandRunner {
  readonly label: string

  constructor(
    readonly target: PodTarget,
    private readonly killGraceMs = 2000,
  ) {
    this.label = `pod ${target.pod} (${target.context})`
  }

  /**
   * Run `script` with /bin/sh in the pod; stdin (if any) is `stdinBytes` long. Transport failures
   * (API server unreachable, pod gone) throw RunnerTransportError; a command's failure is its code.
   */
  async exec(script: string, o: RawExec = {}): Promise<ExecResult> {
    // stdinBytes Infinity: a stream without a known end (an SSH session), passed as it is.
    const bounded = o.stdin === undefined || o.stdinBytes === Infinity ? script : `head -c ${o.stdinBytes ?? byteLength(o.stdin)} | { ${script}\n}`
    try {
      const c = await kube(this.target.context)
      return await c.exec({ namespace: this.target.namespace, pod: this.target.pod, container: this.target.container, command: ['/bin/sh', '-c', bounded], ...o })
    } catch (e) {
      const status = apiStatus(e)
      const reason = status === 0 ? 'unreachable' : status === 401 || status === 403 ? 'auth' : status === 404 ? 'closed' : 'protocol'
      throw new RunnerTransportError(this.label, reason, describeFailure(e), { cause: e })
    }
  }

  async run(cmd: string, opts: RunOptions = {}): Promise<RunResult> {
    if (opts.signal?.aborted) return { code: SIGTERM_CODE, stdout: '', stderr: '' }
    const out = new TextSink(opts.onStdout)
    const err = new MarkedStderr(new TextSink(opts.onStderr))
    const stream = new AbortController()
    let killedBy: 'abort' | 'timeout' | null = null
    let killing: Promise<void> | null = null
    const kill = (why: 'abort' | 'timeout') => {
      if (killedBy) return
      killedBy = why
      killing = (async () => {
        const pgid = await Promise.race([err.pgid, Bun.sleep(this.killGraceMs).then(() => null)])
        if (pgid) await this.exec(killGroupCommand(pgid, this.killGraceMs)).catch(() => {})
        await Bun.sleep(100)
        stream.abort()
      })()
    }
    const onAbort = () => kill('abort')
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    const timer = opts.timeoutMs ? setTimeout(() => kill('timeout'), opts.timeoutMs) : null
    try {
      const r = await this.exec(wrapRemoteCommand(cmd, { env: opts.env, cwd: opts.cwd }), {
        ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
        onStdout: (b) => out.push(b),
        onStderr: (b) => err.push(Buffer.from(b)),
        signal: stream.signal,
      })
      if (killing) await killing
      const stdout = out.end()
      const stderr = err.end()
      if (killedBy === 'timeout') return { code: 124, stdout, stderr }
      if (killedBy === 'abort') return { code: r.code ?? SIGTERM_CODE, stdout, stderr }
      if (r.code === null) throw new RunnerTransportError(this.label, 'closed', r.message ?? 'the exec stream ended without an exit status')
      return { code: r.code, stdout, stderr }
    } finally {
      if (timer) clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
    }
  }

  /** Run a script that must succeed (file transfers); its stderr is the error. */
  private async must(what: string, script: string, o: RawExec = {}): Promise<void> {
    let stderr = ''
    const dec = new TextDecoder()
    const r = await this.exec(script, { ...o, onStderr: (b) => void (stderr += dec.decode(b, { stream: true })) })
    if (r.code !== 0) throw new RunnerFileError(this.label, `${what}: ${stderr.trim() || r.message || `exit ${r.code}`}`)
  }

  async upload(localPath: string, remotePath: string, opts: UploadOptions = {}): Promise<void> {
    const st = await stat(localPath).catch(() => null)
    if (!st) throw new RunnerFileError(this.label, `upload ${localPath}: no such file or directory`)
    if (!st.isDirectory()) {
      const dest = remotePath.endsWith('/') ? `${remotePath}${basename(localPath)}` : remotePath
      const q = shPath(dest)
      const mode = (st.mode & 0o7777).toString(8)
      await this.must(`upload ${localPath} -> ${dest}`, `set -e; d=${q}; mkdir -p "$(dirname "$d")"; cat > "$d.sky-tmp"; chmod ${mode} "$d.sky-tmp"; mv -f "$d.sky-tmp" "$d"`, {
        stdin: Bun.file(localPath).stream() as unknown as AsyncIterable<Uint8Array>,
        stdinBytes: st.size,
      })
      return
    }
    const tmp = mkdtempSync(join(tmpdir(), 'sky-k8s-up-'))
    try {
      const tar = join(tmp, 'upload.tar')
      await packDir(localPath, tar, opts.exclude)
      const size = statSync(tar).size
      await this.must(`upload ${localPath} -> ${remotePath}`, `set -e; mkdir -p ${shPath(remotePath)}; tar -xf - -C ${shPath(remotePath)} --no-same-owner`, {
        stdin: Bun.file(tar).stream() as unknown as AsyncIterable<Uint8Array>,
        stdinBytes: size,
      })
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  }

  async download(remotePath: string, localPath: string): Promise<void> {
    await mkdir(dirname(localPath), { recursive: true })
    const w = Bun.file(localPath).writer()
    try {
      await this.must(`download ${remotePath}`, `cat -- ${shPath(remotePath)}`, { onStdout: (b) => void w.write(b) })
    } finally {
      await w.end()
    }
  }

  async close(): Promise<void> {}
}

function byteLength(s: AsyncIterable<Uint8Array> | Uint8Array | string): number {
  if (typeof s === 'string') return Buffer.byteLength(s)
  if (s instanceof Uint8Array) return s.length
  throw new Error('a streamed stdin needs stdinBytes')
}

/** A tar of `dir`'s sync entries (ignore files and `exclude` applied), made by the local tar. */
async function packDir(dir: string, out: string, exclude?: string[]): Promise<void> {
  const entries = await listSyncEntries(dir, { exclude })
  const list = entries.map((e) => e.rel).join('\0')
  await new Promise<void>((resolve, reject) => {
    const p = spawn('tar', ['-c', '-f', out, '-C', dir, '--no-recursion', '--null', '-T', '-', ...(entries.length ? [] : ['--files-from=/dev/null'])], { stdio: ['pipe', 'ignore', 'pipe'] })
    let err = ''
    p.stderr.on('data', (d) => (err += d))
    p.on('error', reject)
    p.on('close', (code) => (code === 0 ? resolve() : reject(new RunnerFileError('local', `tar of ${dir} failed: ${err.trim() || `exit ${code}`}`))))
    p.stdin.end(list)
  })
}

