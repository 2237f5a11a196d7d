// Plain-HTTP helpers for the wire-level tests of the test Kubernetes API server.
import { waitFor } from '../../harness'

export interface Reply {
  status: number
  headers: Headers
  body: any
  text: string
}

export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await r.text()
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  return { status: r.status, headers: r.headers, body: parsed, text }
}

export interface PodOptions {
  command?: string[]
  labels?: Record<string, string>
  requests?: Record<string, string>
  limits?: Record<string, string>
  nodeSelector?: Record<string, string>
  restartPolicy?: string
  env?: Record<string, unknown>[]
  grace?: number
  extra?: Record<string, unknown>
}

export function podBody(name: string, o: PodOptions = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: o.labels ?? { app: name } },
    spec: {
      ...(o.restartPolicy ? { restartPolicy: o.restartPolicy } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.grace !== undefined ? { terminationGracePeriodSeconds: o.grace } : {}),
      containers: [
        {
          name: 'main',
          image: 'ubuntu:22.04',
          ...(o.command ? { command: o.command } : {}),
          ...(o.env ? { env: o.env } : {}),
          ...(o.requests || o.limits ? { resources: { ...(o.requests ? { requests: o.requests } : {}), ...(o.limits ? { limits: o.limits } : {}) } } : {}),
        },
      ],
      ...o.extra,
    },
  }
}

export async function createPod(base: string, name: string, o: PodOptions = {}, ns = 'default'): Promise<Reply> {
  const r = await call(base, 'POST', `/api/v1/namespaces/${ns}/pods`, podBody(name, o))
  if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.text}`)
  return r
}

export async function getPod(base: string, name: string, ns = 'default'): Promise<any> {
  return (await call(base, 'GET', `/api/v1/namespaces/${ns}/pods/${name}`)).body
}

/** Wait until `pred` holds for the pod (default: phase Running). */
export async function waitPod(base: string, name: string, pred: (p: any) => boolean = (p) => p?.status?.phase === 'Running', timeoutMs = 20_000): Promise<any> {
  return waitFor(async () => {
    const p = await getPod(base, name)
    return pred(p) && p
  }, timeoutMs)
}

/** Read a watch stream's events until `until` says stop (or the stream ends). */
export async function readWatch(res: Response, until: (events: any[]) => boolean): Promise<any[]> {
  const events: any[] = []
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let buf = ''
  while (!until(events)) {
    const { done, value } = await reader.read()
    if (done) break
    buf += decoder.decode(value, { stream: true })
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      events.push(JSON.parse(buf.slice(0, nl)))
      buf = buf.slice(nl + 1)
    }
  }
  await reader.cancel().catch(() => {})
  return events
}
