// pods/exec over WebSocket (RFC 6455), subprotocols v5.channel.k8s.io and v4.channel.k8s.io:
// binary messages `[channel][data]` — 0 stdin, 1 stdout, 2 stderr, 3 status (metav1.Status
// JSON), 4 resize ({"Width","Height"}) — and, in v5 only, `[255, 0]` closes stdin. The status
// is sent last, then a close frame (1000).
import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { refuseUpgrade } from './http'
import { badRequest } from './status'
import type { ExecHandle, ExecSink } from './exec'

export const WS_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io']
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/** The subprotocol to use from the client's offer, or undefined when none is supported. */
export function pickWsProtocol(req: IncomingMessage): string | undefined {
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((s) => s.trim())
  return offered.find((p) => WS_PROTOCOLS.includes(p))
}

function frame(opcode: number, payload: Uint8Array): Buffer {
  const len = payload.length
  const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10)
  if (len >= 126) {
    head[0] = 0x80 | opcode
    if (len < 65536) {
      head[1] = 126
      head.writeUInt16BE(len, 2)
    } else {
      head[1] = 127
      head.writeBigUInt64BE(BigInt(len), 2)
    }
  }
  return Buffer.concat([head, payload])
}

/**
 * Finish the WebSocket handshake and run an exec session on it. `start` creates the command
 * once the connection is open; returns false (after answering 400) when no subprotocol fits.
 */
export function serveExecWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, start: (sink: ExecSink) => ExecHandle): void {
  const protocol = pickWsProtocol(req)
  const key = req.headers['sec-websocket-key']
  if (!protocol || !key) {
    refuseUpgrade(socket, badRequest(`websocket: unsupported subprotocol (want one of ${WS_PROTOCOLS.join(', ')})`))
    return
  }
  const accept = createHash('sha1').update(`${key}${GUID}`).digest('base64')
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`)
  const v5 = protocol === 'v5.channel.k8s.io'
  let closed = false
  const send = (opcode: number, payload: Uint8Array): Promise<void> | void => {
    if (closed) return
    if (!socket.write(frame(opcode, payload))) return new Promise((r) => socket.once('drain', r))
  }
  const channel = (ch: number) => (data: Uint8Array) => send(2, Buffer.concat([Buffer.from([ch]), data]))
  const handle = start({ stdout: channel(1), stderr: channel(2) })
  const close = (code = 1000) => {
    if (closed) return
    const p = Buffer.alloc(2)
    p.writeUInt16BE(code)
    socket.write(frame(8, p))
    closed = true
    socket.end()
  }
  handle.done.then(async (status) => {
    await channel(3)(Buffer.from(JSON.stringify(status)))
    close()
  })

  let buf: Buffer = head.length ? Buffer.from(head) : Buffer.alloc(0)
  let fragments: Buffer[] = []
  let fragOpcode = 0
  const onMessage = (data: Buffer) => {
    if (!data.length) return
    const ch = data[0]!
    if (ch === 0) handle.write(data.subarray(1))
    else if (ch === 4) {
      try {
        const size = JSON.parse(data.subarray(1).toString()) as { Width: number; Height: number }
        handle.resize(size.Width, size.Height)
      } catch {}
    } else if (ch === 255 && v5 && data[1] === 0) handle.closeStdin()
  }
  const parse = () => {
    for (;;) {
      if (buf.length < 2) return
      const fin = (buf[0]! & 0x80) !== 0
      const opcode = buf[0]! & 0x0f
      const masked = (buf[1]! & 0x80) !== 0
      let len = buf[1]! & 0x7f
      let at = 2
      if (len === 126) {
        if (buf.length < 4) return
        len = buf.readUInt16BE(2)
        at = 4
      } else if (len === 127) {
        if (buf.length < 10) return
        len = Number(buf.readBigUInt64BE(2))
        at = 10
      }
      const mask = masked ? buf.subarray(at, at + 4) : undefined
      if (masked) at += 4
      if (buf.length < at + len) return
      const payload = Buffer.from(buf.subarray(at, at + len))
      buf = buf.subarray(at + len)
      if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!
      if (opcode === 8) {
        handle.closeStdin()
        close()
        return
      }
      if (opcode === 9) send(10, payload)
      else if (opcode === 0 || opcode === 1 || opcode === 2) {
        if (opcode !== 0) fragOpcode = opcode
        fragments.push(payload)
        if (fin) {
          const msg = Buffer.concat(fragments)
          fragments = []
          if (fragOpcode === 2 || fragOpcode === 1) onMessage(msg)
        }
      }
    }
  }
  socket.on('data', (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d
    try {
      parse()
    } catch (e) {
      console.error('k8s harness: exec stream failed:', e)
      socket.destroy()
    }
  })
  socket.on('close', () => {
    closed = true
    handle.closeStdin()
  })
  parse()
}
