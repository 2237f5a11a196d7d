// A fault-injecting proxy in front of moto on 127.0.0.1: it reads every EC2 Query call, records it
// (action, region, zone, instance type, market, the SDK's attempt number, the status answered),
// and either answers an EC2 error chosen by the first matching fault rule or forwards the call to
// moto unchanged. moto itself never reports a capacity, quota or permission error.
import { FaultBook, type FaultHandle } from '../cloud/faults.ts'
import { faultResponse, normalizeRule, type Ec2FaultRule } from './faults.ts'
import { describeCall, newLookupCache, queryParams, type Ec2CallFields } from './query.ts'
import { childText, ec2ErrorXml, find, parseXml } from './xml.ts'

export interface Ec2Call extends Ec2CallFields {
  /** Order of arrival, from 1. */
  seq: number
  /** HTTP status answered to the client. */
  status: number
  /** The error code answered by a fault rule (the call never reached moto). */
  fault?: string
  /** The error code moto answered, when it answered one. */
  errorCode?: string
}

export interface Ec2FaultProxy {
  /** http://127.0.0.1:PORT — point AWS_ENDPOINT_URL_EC2 (or AWS_ENDPOINT_URL) here. */
  endpoint: string
  port: number
  /** Add a rule; the first live matching rule answers. */
  fail(rule: Ec2FaultRule): FaultHandle
  clearFaults(): void
  /** Every call so far, in order of arrival (retries are separate calls). */
  readonly calls: readonly Ec2Call[]
  /** The calls of one action, e.g. callsOf('RunInstances'). */
  callsOf(action: string): Ec2Call[]
  /** Forget the rules and the call log (use with moto.reset() between tests). */
  reset(): void
  stop(): Promise<void>
}

const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'accept-encoding'])

export function startEc2FaultProxy(motoEndpoint: string): Ec2FaultProxy {
  const book = new FaultBook<Ec2CallFields, Ec2FaultRule>(['action', 'region', 'zone', 'instanceType', 'market'])
  let calls: Ec2Call[] = []
  let seq = 0
  let cache = newLookupCache()

  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const url = new URL(req.url)
      const body = req.method === 'GET' || req.method === 'HEAD' ? '' : await req.text()
      const params = queryParams(url, body)
      if (!params.get('Action')) return forward(req, url, body) // moto's own API (/moto-api/...)
      const fields = await describeCall(req.headers, params, motoEndpoint, cache)
      const call: Ec2Call = { seq: ++seq, ...fields, status: 0 }
      calls.push(call)
      const rule = book.take(fields)
      if (rule) {
        const { status, code, message } = faultResponse(rule.fault, fields)
        call.status = status
        call.fault = code
        return new Response(ec2ErrorXml(code, message), { status, headers: { 'content-type': 'text/xml;charset=UTF-8' } })
      }
      const res = await forward(req, url, body)
      call.status = res.status
      if (res.status >= 400) {
        const text = await res.clone().text()
        call.errorCode = childText(find(parseXml(text), 'Error'), 'Code')
      }
      return res
    },
  })

  async function forward(req: Request, url: URL, body: string): Promise<Response> {
    const headers = new Headers()
    req.headers.forEach((v, k) => HOP_HEADERS.has(k.toLowerCase()) || headers.set(k, v))
    const r = await fetch(`${motoEndpoint}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      ...(body ? { body } : {}),
    })
    const out = new Headers()
    r.headers.forEach((v, k) => HOP_HEADERS.has(k.toLowerCase()) || k === 'content-encoding' || out.set(k, v))
    return new Response(await r.arrayBuffer(), { status: r.status, headers: out })
  }

  const endpoint = `http://127.0.0.1:${server.port}`
  return {
    endpoint,
    port: server.port!,
    fail: (rule) => book.add(normalizeRule(rule)),
    clearFaults: () => book.clear(),
    get calls() {
      return calls
    },
    callsOf: (action) => calls.filter((c) => c.action === action),
    reset() {
      book.clear()
      calls = []
      seq = 0
      cache = newLookupCache()
    },
    async stop() {
      await server.stop(true)
    },
  }
}
