// SshRunner: a node reached over SSH (ssh2, pure JS). One connection carries many commands as
// separate channels (at most `maxChannels` at once; OpenSSH allows 10 sessions per connection) and
// is reopened on the next use after it drops. Each command runs in its own session on the node; on
// abort or timeout a second channel kills that whole process group.
import { stat } from 'node:fs/promises'
import { constants as osConstants } from 'node:os'
import type { ClientChannel, SFTPWrapper } from 'ssh2'
import { SkyError } from '../errors'
import { RunnerFileError, RunnerTransportError } from './errors'
import { MarkedStderr, TextSink } from './output-sinks'
import { killGroupCommand, wrapRemoteCommand } from './remote-command'
import { openSshConnection, targetLabel, type SshConnection, type SshTarget } from './ssh-connect'
import { Sftp } from './ssh-sftp'
import type { CommandRunner, RunOptions, RunResult, UploadOptions } from './types'

export type { SshTarget } from './ssh-connect'

export interface SshRunnerOptions extends SshTarget {
  /** Name in messages; default `user@host:port`. */
  label?: string
  /** Concurrent channels (commands + transfers) on the connection. Default 8. */
  maxChannels?: number
  /** Time between SIGTERM and SIGKILL when killing a command's process group. Default 2000 ms. */
  killGraceMs?: number
}

const SIGTERM_CODE = 128 + osConstants.signals.SIGTERM

class Slots {
  private free: number
  private waiters: Array<() => void> = []
  constructor(n: number) {
    this.free = n
  }
  /** A release function, or null when `signal` aborted first. */
  async acquire(signal?: AbortSignal): Promise<(() => void) | null> {
    if (this.free > 0) this.free--
    else {
      const got = await new Promise<boolean>((resolve) => {
        const waiter = () => {
          signal?.removeEventListener('abort', onAbort)
          resolve(true)
        }
        const onAbort = () => {
          this.waiters = this.waiters.filter((w) => w !== waiter)
          resolve(false)
        }
        this.waiters.push(waiter)
        signal?.addEventListener('abort', onAbort, { once: true })
      })
      if (!got) return null
    }
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.waiters.shift()
      if (next) next()
      else this.free++
    }
  }
}

/** Exit status and close of an exec channel, watched from the moment it opens (these are plain events, not buffered). */
class ExecWatch {
  exitCode: number | null = null
  readonly closed: Promise<void>
  constructor(ch: ClientChannel) {
    let done = () => {}
    this.closed = new Promise((r) => (done = r))
    ch.on('exit', (code: number | null, signal?: string) => {
      if (typeof code === 'number') this.exitCode = code
      else if (signal) this.exitCode = 128 + (osConstants.signals[`SIG${signal}` as NodeJS.Signals] ?? 0)
    })
    ch.on('close', () => done())
    ch.on('error', () => {})
  }
}

function execChannel(command: string): (conn: SshConnection, cb: (err: Error | undefined, v: { ch: ClientChannel; watch: ExecWatch }) => void) => void {
  return (conn, cb) =>
    conn.client.exec(command, (err, ch) => (err ? cb(err, undefined as never) : cb(undefined, { ch, watch: new ExecWatch(ch) })))
}

/** `p`'s value, or null as soon as `signal` aborts (a channel opened after that is closed). */
function untilAborted<T extends { value: { ch: ClientChannel } }>(p: Promise<T>, signal?: AbortSignal): Promise<T | null> {
  if (!signal) return p
  if (signal.aborted) {
    p.then((v) => v.value.ch.close(), () => {})
    return Promise.resolve(null)
  }
  return new Promise<T | null>((resolve, reject) => {
    const onAbort = () => {
      resolve(null)
      p.then((v) => v.value.ch.close(), () => {})
    }
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (err) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

export class SshRunner implements CommandRunner {
  readonly label: string
  private readonly target: SshRunnerOptions
  private readonly slots: Slots
  private current: Promise<SshConnection> | null = null
  private live: SshConnection | null = null

  constructor(opts: SshRunnerOptions) {
    this.target = opts
    this.label = opts.label ?? targetLabel(opts)
    this.slots = new Slots(opts.maxChannels ?? 8)
  }

  /** Connect now instead of on the first command; throws RunnerTransportError. */
  async connect(): Promise<void> {
    await this.connection()
  }

  private connection(): Promise<SshConnection> {
    if (this.current && this.live && !this.live.isOpen()) this.current = null
    if (!this.current) {
      const attempt = openSshConnection(this.target)
      this.current = attempt
      this.live = null
      attempt.then(
        (c) => {
          if (this.current !== attempt) return c.close()
          this.live = c
          void c.closed.then(() => {
            if (this.current === attempt) this.current = null
          })
        },
        () => {
          if (this.current === attempt) this.current = null
        },
      )
    }
    return this.current
  }

  /**
   * Open a channel. Reconnects once when the cached connection turns out to be dead, and retries
   * a refused channel open for a while: the server may still count a just-closed session against
   * its MaxSessions.
   */
  private async channel<T>(open: (conn: SshConnection, cb: (err: Error | undefined, v: T) => void) => void): Promise<{ value: T; conn: SshConnection }> {
    let reconnected = false
    for (let attempt = 0; ; attempt++) {
      const conn = await this.connection()
      try {
        const value = await new Promise<T>((resolve, reject) => {
          try {
            open(conn, (err, v) => (err ? reject(err) : resolve(v)))
          } catch (err) {
            reject(err)
          }
        })
        return { value, conn }
      } catch (err) {
        if (!conn.isOpen() && !reconnected) {
          reconnected = true
          continue
        }
        if (conn.isOpen() && (err as { reason?: number }).reason !== undefined && attempt < 7) {
          await Bun.sleep(25 * 2 ** attempt)
          continue
        }
        const reason = conn.isOpen() ? 'protocol' : 'closed'
        throw new RunnerTransportError(conn.label, reason, `cannot open an SSH channel: ${(err as Error).message}`, { cause: err })
      }
    }
  }

  async run(cmd: string, opts: RunOptions = {}): Promise<RunResult> {
    if (opts.signal?.aborted) return { code: SIGTERM_CODE, stdout: '', stderr: '' }
    const command = wrapRemoteCommand(cmd, { env: opts.env, cwd: opts.cwd })
    const aborted = { code: SIGTERM_CODE, stdout: '', stderr: '' }
    const release = await this.slots.acquire(opts.signal)
    if (!release) return aborted
    try {
      // An abort while connecting answers at once; the connection stays cached for later commands.
      const opened = await untilAborted(this.channel(execChannel(command)), opts.signal)
      if (!opened) return aborted
      if (opts.signal?.aborted) {
        opened.value.ch.close()
        return aborted
      }
      return await this.drive(opened.value.ch, opened.value.watch, opened.conn, opts)
    } finally {
      release()
    }
  }

  private drive(ch: ClientChannel, watch: ExecWatch, conn: SshConnection, opts: RunOptions): Promise<RunResult> {
    const out = new TextSink(opts.onStdout)
    const err = new MarkedStderr(new TextSink(opts.onStderr))
    const grace = this.target.killGraceMs ?? 2000
    return new Promise<RunResult>((resolve, reject) => {
      let killedBy: 'abort' | 'timeout' | null = null
      let killing: Promise<void> | null = null
      let finished = false
      let markClosed = () => {}
      const closed = new Promise<void>((r) => (markClosed = r))

      const kill = (why: 'abort' | 'timeout') => {
        if (killedBy || finished) return
        killedBy = why
        killing = (async () => {
          const pgid = await Promise.race([err.pgid, Bun.sleep(grace).then(() => null)])
          if (pgid) await this.killRemote(pgid, grace).catch(() => {})
          // Whatever still holds the channel open (a process that left the group) is cut off.
          await Promise.race([closed, Bun.sleep(500)])
          if (!finished) ch.close()
        })()
      }
      const onAbort = () => kill('abort')
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      const timer = opts.timeoutMs ? setTimeout(() => kill('timeout'), opts.timeoutMs) : null

      const finish = async () => {
        if (finished) return
        finished = true
        markClosed()
        // Let stderr chunks already received but not yet emitted come through.
        await new Promise((r) => setImmediate(r))
        if (timer) clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
        if (killing) await killing
        const stdout = out.end()
        const stderr = err.end()
        if (killedBy === 'timeout') return resolve({ code: 124, stdout, stderr })
        const exitCode = watch.exitCode
        if (killedBy === 'abort') return resolve({ code: exitCode ?? SIGTERM_CODE, stdout, stderr })
        if (exitCode === null) {
          return reject(new RunnerTransportError(conn.label, 'closed', 'connection lost while the command was running'))
        }
        resolve({ code: exitCode, stdout, stderr })
      }

      ch.on('data', (b: Buffer) => out.push(b))
      ch.stderr.on('data', (b: Buffer) => err.push(b))
      void watch.closed.then(finish)
      void conn.closed.then(() => setTimeout(() => void finish(), 200))
      if (opts.stdin !== undefined) ch.end(opts.stdin)
      else ch.end()
    })
  }

  /** Kill process group `pgid` on the node (TERM, then KILL after `grace`), waiting until it is gone. */
  private async killRemote(pgid: number, grace: number): Promise<void> {
    const { value } = await this.channel(execChannel(killGroupCommand(pgid, grace)))
    value.ch.resume()
    value.ch.stderr.resume()
    value.ch.end()
    await value.watch.closed
  }

  private async withSftp<T>(what: string, fn: (s: Sftp) => Promise<T>): Promise<T> {
    const release = (await this.slots.acquire())!
    try {
      const { value, conn } = await this.channel<SFTPWrapper>((c, cb) => c.client.sftp(cb))
      const s = new Sftp(value)
      try {
        return await fn(s)
      } catch (err) {
        if (err instanceof SkyError) throw err
        if (!conn.isOpen()) throw new RunnerTransportError(conn.label, 'closed', `connection lost during ${what}`, { cause: err })
        throw new RunnerFileError(this.label, `${what}: ${(err as Error).message}`, { cause: err })
      } finally {
        s.close()
      }
    } finally {
      release()
    }
  }

  async upload(localPath: string, remotePath: string, opts: UploadOptions = {}): Promise<void> {
    if (!(await stat(localPath).catch(() => null))) {
      throw new RunnerFileError(this.label, `upload ${localPath}: no such file or directory`)
    }
    await this.withSftp(`upload ${localPath} -> ${remotePath}`, (s) => s.upload(localPath, remotePath, opts.exclude))
  }

  async download(remotePath: string, localPath: string): Promise<void> {
    await this.withSftp(`download ${remotePath}`, (s) => s.download(remotePath, localPath))
  }

  async close(): Promise<void> {
    const cur = this.current
    this.current = null
    this.live = null
    const conn = await cur?.catch(() => null)
    conn?.close()
  }
}
