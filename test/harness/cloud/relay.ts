// The cloud test peers listen on 127.0.0.1 of the test's own network namespace, which the sshd
// hosts' namespaces cannot reach. A relay on the hosts' bridge address (10.213.k.254, reachable
// from the root namespace and from every host) forwards HTTP to the peer, so a head node's own
// cloud calls (autostop) reach it — and the API server uses the same endpoint, as nodes and
// server share one setting. Also the hosts' netns requirement of the cloud worlds.
import type { SshHosts } from '../sshd.ts'

export interface Relay {
  /** http://10.213.k.254:PORT */
  endpoint: string
  stop(): void
}

/** Forward every request to `target` (http://127.0.0.1:PORT) from the hosts' bridge address. */
export function startBridgeRelay(hosts: SshHosts, target: string): Relay {
  const bridge = hosts.hosts[0]!.ip.replace(/\.\d+$/, '.254')
  const server = Bun.serve({
    hostname: bridge,
    port: 0,
    // Long polls (Compute's operations `wait`) pass through.
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url)
      const headers = new Headers(req.headers)
      headers.delete('host')
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await req.arrayBuffer()
      const r = await fetch(`${target}${url.pathname}${url.search}`, { method: req.method, headers, body })
      const out = new Headers(r.headers)
      out.delete('content-encoding')
      out.delete('content-length')
      return new Response(await r.arrayBuffer(), { status: r.status, headers: out })
    },
  })
  return { endpoint: `http://${bridge}:${server.port}`, stop: () => server.stop(true) }
}

/** Cloud worlds need root: without namespaces every "instance" would share one home and one address. */
export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new Error(`The ${what} cluster tests need root: each instance gets an sshd host in its own network namespace, with its own home and private IP (as CI runs them).`)
  }
}
