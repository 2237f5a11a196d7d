// Request logs: one file per request under $SKY_HOME/api_server/request_logs, created on first
// write so the many short requests that print nothing cost no file. With several replicas the
// logs live in the database instead (db-log-store.ts), behind the same interface.
import { appendFileSync, existsSync, mkdirSync, openSync, readSync, closeSync, fstatSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { paths } from '../../core/paths'

type Awaitable<T> = T | Promise<T>

export interface LogChunk {
  data: Uint8Array
  next: number
}

/** Where request logs go: written by worker threads, read by the stream route (any replica). */
export interface LogStore {
  /** Append text; appends to one request keep their order. */
  append(id: string, text: string): void
  /** Resolve when everything appended so far can be read (by any reader). */
  flush(id?: string): Promise<void>
  /** Bytes from `offset` on (up to `max`), and the offset after them. */
  read(id: string, offset: number, max?: number): Awaitable<LogChunk>
  size(id: string): Awaitable<number>
  remove(id: string): Awaitable<void>
}

export class FileLogStore implements LogStore {
  private madeDir = false
  constructor(private dir = paths.requestLogs()) {}

  pathOf(id: string): string {
    return join(this.dir, `${id}.log`)
  }

  append(id: string, text: string): void {
    if (!this.madeDir) {
      mkdirSync(this.dir, { recursive: true })
      this.madeDir = true
    }
    appendFileSync(this.pathOf(id), text)
  }

  async flush(): Promise<void> {}

  read(id: string, offset: number, max = 1 << 20): LogChunk {
    const file = this.pathOf(id)
    if (!existsSync(file)) return { data: new Uint8Array(0), next: offset }
    const fd = openSync(file, 'r')
    try {
      const size = fstatSync(fd).size
      if (size <= offset) return { data: new Uint8Array(0), next: offset }
      const len = Math.min(max, size - offset)
      const buf = new Uint8Array(len)
      const n = readSync(fd, buf, 0, len, offset)
      return { data: buf.subarray(0, n), next: offset + n }
    } finally {
      closeSync(fd)
    }
  }

  size(id: string): number {
    try {
      const fd = openSync(this.pathOf(id), 'r')
      try {
        return fstatSync(fd).size
      } finally {
        closeSync(fd)
      }
    } catch {
      return 0
    }
  }

  remove(id: string): void {
    rmSync(this.pathOf(id), { force: true })
  }
}
