// A byte pipe between two sockets, for replicas in a rootless network namespace: one forwarder
// inside the namespace listens on a Unix socket (a filesystem path is reachable across network
// namespaces) and dials the replica's port on the namespace's loopback; one outside listens on a
// free TCP port of this machine and dials that Unix socket. Run as
// `sky _serve-lb forward --listen 127.0.0.1:PORT | --listen-unix PATH  --to HOST:PORT | --to-unix PATH`.
import type { Socket } from 'bun'
import { rmSync } from 'node:fs'

type End = { unix: string } | { hostname: string; port: number }

/** One end of a forwarded connection; bytes waiting to be written to it sit in its queue. */
interface Side {
  sock: Socket<Side> | null
  queue: Buffer[]
  other: Side | null
  closed: boolean
}

type Pausable = { pause?: () => void; resume?: () => void }

function parseEnd(flag: string, value: string | undefined): End {
  if (!value) throw new Error(`${flag} needs a value`)
  if (flag.endsWith('-unix')) return { unix: value }
  const i = value.lastIndexOf(':')
  const port = Number(value.slice(i + 1))
  if (i < 0 || !Number.isInteger(port)) throw new Error(`${flag} must be host:port, got ${value}`)
  return { hostname: value.slice(0, i), port }
}

/** Write to `to`, queueing what does not fit and pausing the side the bytes came from. */
function send(to: Side, d: Buffer): void {
  if (!to.sock || to.queue.length) {
    to.queue.push(d)
    return
  }
  const n = to.sock.write(d)
  if (n < d.length) {
    to.queue.push(d.subarray(Math.max(0, n)))
    const from = to.other?.sock as unknown as Pausable | undefined
    from?.pause?.()
  }
}

function drain(side: Side): void {
  while (side.sock && side.queue.length) {
    const b = side.queue[0]!
    const n = side.sock.write(b)
    if (n < b.length) {
      side.queue[0] = b.subarray(Math.max(0, n))
      return
    }
    side.queue.shift()
  }
  ;(side.other?.sock as unknown as Pausable | undefined)?.resume?.()
}

function closeSide(side: Side): void {
  side.closed = true
  const other = side.other
  if (other && !other.closed) other.sock?.end()
}

const HANDLERS = {
  data: (sock: Socket<Side>, d: Buffer) => {
    const other = sock.data.other
    if (other) send(other, d)
  },
  drain: (sock: Socket<Side>) => drain(sock.data),
  close: (sock: Socket<Side>) => closeSide(sock.data),
  error: () => {},
}

export async function runForward(argv: string[]): Promise<number> {
  let listen: End | undefined
  let to: End | undefined
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!
    if (flag === '--listen' || flag === '--listen-unix') listen = parseEnd(flag, argv[i + 1])
    else if (flag === '--to' || flag === '--to-unix') to = parseEnd(flag, argv[i + 1])
    else {
      process.stderr.write(`unknown flag ${flag}\n`)
      return 2
    }
  }
  if (!listen || !to) {
    process.stderr.write('usage: sky _serve-lb forward --listen HOST:PORT|--listen-unix PATH --to HOST:PORT|--to-unix PATH\n')
    return 2
  }
  const target = to
  if ('unix' in listen) rmSync(listen.unix, { force: true })
  Bun.listen<Side>({
    ...(listen as object),
    socket: {
      ...HANDLERS,
      open(sock: Socket<Side>) {
        const inbound: Side = { sock, queue: [], other: null, closed: false }
        const outbound: Side = { sock: null, queue: [], other: inbound, closed: false }
        inbound.other = outbound
        sock.data = inbound
        Bun.connect<Side>({ ...target, data: outbound, socket: HANDLERS } as never).then(
          (out: Socket<Side>) => {
            outbound.sock = out
            if (inbound.closed) out.end()
            else drain(outbound)
          },
          () => sock.terminate(),
        )
      },
    },
  } as never)
  process.stdout.write('forwarding\n')
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve())
    process.once('SIGINT', () => resolve())
  })
  if ('unix' in listen) rmSync(listen.unix, { force: true })
  return 0
}
