// `logs`: print a job's run.log, or follow it until the job ends; the exit code says how it ended
// (SkyPilot's JobExitCode).
import type { Database } from 'bun:sqlite'
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs'
import { getStatus, latestJobId } from './job-store'
import type { Layout } from './layout'
import { JobExitCode, isTerminal, type JobStatus } from './types'

export interface LogsOptions {
  job: number | null
  follow: boolean
  /** Last N lines first (0 = everything). */
  tail: number
  pollMs?: number
}

export interface LogsIO {
  stdout(chunk: Uint8Array | string): void | Promise<void>
  stderr(text: string): void
  /** In-process callers stop a follow with this (a subprocess is simply killed). */
  signal?: AbortSignal
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return Bun.sleep(ms)
  return new Promise((resolve) => {
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal!.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

export function exitCodeForStatus(status: JobStatus | null): number {
  if (status === null) return JobExitCode.NOT_FOUND
  if (status === 'SUCCEEDED') return JobExitCode.SUCCEEDED
  if (status === 'CANCELLED') return JobExitCode.CANCELLED
  if (isTerminal(status)) return JobExitCode.FAILED
  return JobExitCode.NOT_FINISHED
}

/** Byte offset where the last `lines` lines of the file start (0 = whole file). */
export function tailOffset(path: string, lines: number): number {
  if (lines <= 0) return 0
  const fd = openSync(path, 'r')
  try {
    const size = fstatSync(fd).size
    const buf = Buffer.alloc(64 * 1024)
    let pos = size
    let seen = 0
    let skipLast = true
    while (pos > 0) {
      const n = Math.min(buf.length, pos)
      pos -= n
      readSync(fd, buf, 0, n, pos)
      for (let i = n - 1; i >= 0; i--) {
        if (buf[i] !== 10) continue
        if (skipLast && pos + i === size - 1) continue
        if (++seen === lines) return pos + i + 1
      }
      skipLast = false
    }
    return 0
  } finally {
    closeSync(fd)
  }
}

/** Copy bytes [offset, end of file) to stdout; returns the new offset. */
async function pump(path: string, offset: number, io: LogsIO): Promise<number> {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return offset
  }
  try {
    const size = fstatSync(fd).size
    let pos = offset
    const buf = Buffer.alloc(64 * 1024)
    while (pos < size) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos)
      if (n <= 0) break
      await io.stdout(new Uint8Array(buf.subarray(0, n)))
      pos += n
    }
    return pos
  } finally {
    closeSync(fd)
  }
}

export async function streamLogs(db: Database, L: Layout, opts: LogsOptions, io: LogsIO, ensureDaemon?: () => Promise<unknown>): Promise<number> {
  const id = opts.job ?? latestJobId(db)
  if (id === null) {
    io.stderr('No jobs found.\n')
    return JobExitCode.NOT_FOUND
  }
  let status = getStatus(db, id)
  if (status === null) {
    io.stderr(`Job ${id} not found.\n`)
    return JobExitCode.NOT_FOUND
  }
  const path = L.runLog(id)
  if (!opts.follow) {
    if (existsSync(path)) await pump(path, tailOffset(path, opts.tail), io)
    return exitCodeForStatus(status)
  }
  if (!isTerminal(status) && ensureDaemon) await ensureDaemon()
  // Poll briskly while a job is starting (its first lines matter most), then every 100 ms.
  const started = Date.now()
  const poll = () => opts.pollMs ?? (Date.now() - started < 2000 ? 20 : 100)
  let offset = -1
  for (;;) {
    status = getStatus(db, id)
    const done = status === null || isTerminal(status)
    // A job that just ended may still have a line or two in flight from a dying rank.
    if (done) await Bun.sleep(30)
    if (offset < 0 && existsSync(path)) offset = tailOffset(path, opts.tail)
    if (offset >= 0) offset = await pump(path, offset, io)
    if (done) return exitCodeForStatus(status)
    if (io.signal?.aborted) return exitCodeForStatus(status)
    await sleep(poll(), io.signal)
  }
}
