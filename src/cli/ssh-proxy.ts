// `sky _ssh-proxy <cluster> [--rank N]`: the ProxyCommand the generated SSH config gives nodes
// that plain OpenSSH cannot reach (Kubernetes pods). It carries ssh's byte stream over a
// WebSocket to the API server (/kubernetes-pod-ssh-proxy), which joins it to an SSH server in
// the node. Auth, endpoint and auto-start are the CLI's own (sky api login, SKYPILOT_API_SERVER_ENDPOINT).
import { SkyClient } from '../sdk/client'

export async function runSshProxy(argv: string[]): Promise<number> {
  const cluster = argv[0]
  const at = argv.indexOf('--rank')
  const rank = at >= 0 ? Number(argv[at + 1]) : 0
  if (!cluster || cluster.startsWith('-') || !Number.isInteger(rank) || rank < 0) {
    process.stderr.write('usage: sky _ssh-proxy <cluster> [--rank N]\n')
    return 2
  }
  const client = new SkyClient()
  try {
    // Starts the local API server if needed and checks its version, as every command does.
    await client.fetch('/api/health')
  } catch (e) {
    process.stderr.write(`sky _ssh-proxy: ${(e as Error).message}\n`)
    return 255
  }
  const url = `${client.endpoint.url.replace(/^http/, 'ws')}/kubernetes-pod-ssh-proxy?cluster_name=${encodeURIComponent(cluster)}&rank=${rank}`
  const ws = new WebSocket(url, { headers: client.headers() } as unknown as string[])
  ws.binaryType = 'arraybuffer'
  return new Promise<number>((resolve) => {
    let failed = false
    ws.onopen = () => {
      process.stdin.on('data', (d: Buffer) => ws.send(d))
      process.stdin.on('end', () => ws.close(1000))
      process.stdin.resume()
    }
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') {
        failed = true
        process.stderr.write(`sky _ssh-proxy: ${ev.data.replace(/^error: /, '')}\n`)
        return
      }
      process.stdout.write(new Uint8Array(ev.data as ArrayBuffer))
    }
    ws.onerror = () => {
      failed = true
      process.stderr.write(`sky _ssh-proxy: cannot open the SSH tunnel through ${client.endpoint.url}\n`)
    }
    ws.onclose = () => process.stdout.write('', () => resolve(failed ? 255 : 0))
  })
}
