// Output of a command run over an exec channel (SSH, Kubernetes exec): UTF-8-safe text forwarded
// chunk by chunk or kept, and stderr with the wrapper's process-group marker line taken out
// (remote-command.ts prints it first, so an abort can kill the whole group from another channel).
import { PGID_MARKER } from './remote-command'

const MARKER = Buffer.from(PGID_MARKER)

/** UTF-8-safe text from a byte stream: forwarded chunk by chunk, or kept. */
export class TextSink {
  private decoder = new TextDecoder()
  private kept: string[] = []
  constructor(private onChunk?: (s: string) => void) {}
  push(b: Uint8Array): void {
    this.emit(this.decoder.decode(b, { stream: true }))
  }
  end(): string {
    this.emit(this.decoder.decode())
    return this.kept.join('')
  }
  private emit(s: string): void {
    if (!s) return
    if (this.onChunk) this.onChunk(s)
    else this.kept.push(s)
  }
}

/** Stderr with the wrapper's process-group marker line taken out. */
export class MarkedStderr {
  readonly pgid: Promise<number | null>
  private resolvePgid: (v: number | null) => void = () => {}
  private pending: Buffer | null = Buffer.alloc(0)
  constructor(private sink: TextSink) {
    this.pgid = new Promise((r) => (this.resolvePgid = r))
  }
  push(b: Buffer): void {
    if (!this.pending) return this.sink.push(b)
    const buf = Buffer.concat([this.pending, b])
    const at = buf.indexOf(MARKER)
    const nl = at < 0 ? -1 : buf.indexOf(10, at)
    if (at >= 0 && nl >= 0) {
      this.pending = null
      this.resolvePgid(Number(buf.subarray(at + MARKER.length, nl).toString()) || null)
      if (at > 0) this.sink.push(buf.subarray(0, at))
      if (nl + 1 < buf.length) this.sink.push(buf.subarray(nl + 1))
      return
    }
    this.pending = buf
    if (buf.length > 65536) this.flush()
  }
  end(): string {
    this.flush()
    return this.sink.end()
  }
  private flush(): void {
    if (this.pending?.length) this.sink.push(this.pending)
    this.pending = null
    this.resolvePgid(null)
  }
}
