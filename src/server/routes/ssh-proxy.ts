// WebSocket /kubernetes-pod-ssh-proxy?cluster_name=NAME&rank=N (SkyPilot's path): the byte stream
// of `ssh <cluster>` for nodes plain OpenSSH cannot reach. The client side is `sky _ssh-proxy`
// (the ProxyCommand in the generated SSH config); this side checks who asks (the cluster's owner
// or an admin), then joins the socket to the provisioner's sshStream (for Kubernetes: an exec
// stream to `sky _sshd --stdio` in the pod). Binary frames both ways; a text frame carries an
// error message before the close.
import { Elysia } from 'elysia'
import { toSkyError } from '../../core/errors'
import { checkOwner, handleOf } from '../../core/clusters/record'
import { provisionerFor } from '../../core/provision/registry'
import type { AppDeps } from '../context'

/** Chunks pushed by WebSocket messages, read by the stream; ends on close. */
class Inbox implements AsyncIterable<Uint8Array> {
  private queue: Uint8Array[] = []
  private waiting: (() => void) | null = null
  private ended = false
  push(b: Uint8Array): void {
    this.queue.push(b)
    this.waiting?.()
  }
  end(): void {
    this.ended = true
    this.waiting?.()
  }
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const next = this.queue.shift()
      if (next) {
        yield next
        continue
      }
      if (this.ended) return
      await new Promise<void>((r) => (this.waiting = r))
      this.waiting = null
    }
  }
}

interface Tunnel {
  inbox: Inbox
  abort: AbortController
}

type Sock = { data: { request: Request; query: Record<string, string | undefined> }; raw: { send(d: Uint8Array | string): number; close(code?: number, reason?: string): void } }

export function sshProxyRoutes(d: AppDeps) {
  // Keyed by Bun's socket (Elysia wraps it anew for every event).
  const tunnels = new WeakMap<object, Tunnel>()
  const fail = (ws: Sock, text: string) => {
    try {
      ws.raw.send(`error: ${text}`)
      ws.raw.close(1011, 'ssh proxy failed')
    } catch {}
  }
  return new Elysia().ws('/kubernetes-pod-ssh-proxy', {
    open(raw) {
      const ws = raw as unknown as Sock
      const t: Tunnel = { inbox: new Inbox(), abort: new AbortController() }
      tunnels.set(ws.raw, t)
      void (async () => {
        const name = ws.data.query.cluster_name ?? ''
        const rank = Number(ws.data.query.rank ?? 0)
        const who = await d.identify(ws.data.request)
        const c = await d.store.clusters.get(name)
        if (!c) throw new Error(`cluster '${name}' not found`)
        checkOwner(c, { id: who.id, name: who.name, role: who.isAdmin ? 'admin' : who.role })
        if (c.status !== 'UP') throw new Error(`cluster '${name}' is ${c.status}`)
        const handle = handleOf(c)
        const p = await provisionerFor(handle.infra)
        if (!p.sshStream) throw new Error(`nodes on ${handle.infra} are reached with plain ssh, not through the API server`)
        if (!Number.isInteger(rank) || rank < 0 || rank >= handle.nodes.length) throw new Error(`cluster '${name}' has no node ${rank}`)
        await p.sshStream(handle, rank, {
          input: t.inbox,
          onData: (b) => void ws.raw.send(b),
          onError: (text) => process.stderr.write(`ssh proxy ${name}/${rank}: ${text}`),
          signal: t.abort.signal,
        })
        ws.raw.close(1000, 'done')
      })().catch((e) => fail(ws, toSkyError(e).message))
    },
    message(raw, message) {
      const t = tunnels.get((raw as unknown as Sock).raw)
      if (!t) return
      if (message instanceof Uint8Array) t.inbox.push(message)
      else if (typeof message === 'string') t.inbox.push(Buffer.from(message))
    },
    close(raw) {
      const key = (raw as unknown as Sock).raw
      const t = tunnels.get(key)
      tunnels.delete(key)
      t?.inbox.end()
      // The exec stream closes with the socket.
      setTimeout(() => t?.abort.abort(), 1000)
    },
  })
}
