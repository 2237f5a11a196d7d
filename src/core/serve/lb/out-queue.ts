// Bytes on their way into a socket that did not take them all: Bun's socket.write writes what
// the kernel accepts and returns the count, so the rest waits here until the socket drains.

interface Writable {
  write(buf: Buffer): number
}

export class OutQueue {
  private q: Buffer[] = []

  get empty(): boolean {
    return this.q.length === 0
  }

  /** Write `buf` now, or queue it behind what is waiting; false when some of it had to wait. */
  write(sock: Writable, buf: Buffer): boolean {
    if (this.q.length) {
      this.q.push(buf)
      return false
    }
    const n = sock.write(buf)
    if (n >= buf.length) return true
    this.q.push(n > 0 ? buf.subarray(n) : buf)
    return false
  }

  /** Write what waits (on drain); true when nothing is left. */
  flush(sock: Writable): boolean {
    while (this.q.length) {
      const b = this.q[0]!
      const n = sock.write(b)
      if (n < b.length) {
        if (n > 0) this.q[0] = b.subarray(n)
        return false
      }
      this.q.shift()
    }
    return true
  }

  clear(): void {
    this.q = []
  }
}
