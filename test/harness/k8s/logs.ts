// Container logs as the kubelet keeps them: one file per container instance in the CRI format
// (`<RFC3339Nano time> <stdout|stderr> <F|P> <text>`), read back with the pods/log options
// (tailLines, sinceSeconds, sinceTime, timestamps, limitBytes) and followed live.
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs'

export interface LogLine {
  time: string
  stream: 'stdout' | 'stderr'
  /** false for a line cut at the 16 KiB limit (CRI "P") or left open at exit. */
  full: boolean
  text: Buffer
}

export interface LogQuery {
  tailLines?: number
  sinceSeconds?: number
  sinceTime?: string
  timestamps?: boolean
  limitBytes?: number
}

const MAX_LINE = 16 * 1024
const nanoTime = () => new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z')

export class ContainerLog {
  private fd: number | undefined
  private readonly partial: Record<'stdout' | 'stderr', Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) }
  private readonly followers = new Set<{ line: (l: LogLine) => void; end: () => void }>()
  ended = false

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a')
  }

  write(stream: 'stdout' | 'stderr', chunk: Uint8Array): void {
    let buf = Buffer.concat([this.partial[stream], chunk])
    for (;;) {
      const nl = buf.indexOf(10)
      if (nl < 0 || nl > MAX_LINE) break
      this.emit({ time: nanoTime(), stream, full: true, text: buf.subarray(0, nl) })
      buf = buf.subarray(nl + 1)
    }
    while (buf.length > MAX_LINE) {
      this.emit({ time: nanoTime(), stream, full: false, text: buf.subarray(0, MAX_LINE) })
      buf = buf.subarray(MAX_LINE)
    }
    this.partial[stream] = Buffer.from(buf)
  }

  /** The container exited: write what is left and end every follower. */
  end(): void {
    if (this.ended) return
    for (const s of ['stdout', 'stderr'] as const) if (this.partial[s].length) this.emit({ time: nanoTime(), stream: s, full: false, text: this.partial[s] })
    this.ended = true
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
    for (const f of this.followers) f.end()
    this.followers.clear()
  }

  private emit(l: LogLine): void {
    if (this.fd !== undefined) writeSync(this.fd, Buffer.concat([Buffer.from(`${l.time} ${l.stream} ${l.full ? 'F' : 'P'} `), l.text, Buffer.from('\n')]))
    for (const f of this.followers) f.line(l)
  }

  /** Lines written so far, filtered by the query. */
  read(q: LogQuery = {}): LogLine[] {
    return selectLines(readLog(this.path), q)
  }

  /** Call `line` for every new line until the container ends (then `end`); returns an unsubscribe. */
  follow(line: (l: LogLine) => void, end: () => void): () => void {
    if (this.ended) {
      end()
      return () => {}
    }
    const f = { line, end }
    this.followers.add(f)
    return () => this.followers.delete(f)
  }
}

export function readLog(path: string): LogLine[] {
  if (!existsSync(path)) return []
  const buf = readFileSync(path)
  const out: LogLine[] = []
  let at = 0
  while (at < buf.length) {
    let nl = buf.indexOf(10, at)
    if (nl < 0) nl = buf.length
    const rec = buf.subarray(at, nl)
    at = nl + 1
    const s1 = rec.indexOf(32)
    const s2 = rec.indexOf(32, s1 + 1)
    const s3 = rec.indexOf(32, s2 + 1)
    if (s1 < 0 || s2 < 0 || s3 < 0) continue
    out.push({
      time: rec.subarray(0, s1).toString(),
      stream: rec.subarray(s1 + 1, s2).toString() as 'stdout' | 'stderr',
      full: rec.subarray(s2 + 1, s3).toString() === 'F',
      text: rec.subarray(s3 + 1),
    })
  }
  return out
}

export function selectLines(lines: LogLine[], q: LogQuery): LogLine[] {
  let out = lines
  const since = q.sinceTime ? Date.parse(q.sinceTime) : q.sinceSeconds ? Date.now() - q.sinceSeconds * 1000 : undefined
  if (since !== undefined) out = out.filter((l) => Date.parse(l.time) >= since)
  if (q.tailLines !== undefined) out = q.tailLines <= 0 ? [] : out.slice(-q.tailLines)
  return out
}

export const renderLine = (l: LogLine, timestamps?: boolean): Buffer =>
  Buffer.concat([timestamps ? Buffer.from(`${l.time} `) : Buffer.alloc(0), l.text, l.full ? Buffer.from('\n') : Buffer.alloc(0)])
