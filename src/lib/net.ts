// Address helpers: loopback checks, and IPv4/IPv6 CIDR matching for trusted proxies.
import { isIP } from 'node:net'

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice(7))
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

function v4ToBig(ip: string): bigint {
  return ip.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p) & 255), 0n)
}

function v6ToBig(ip: string): bigint {
  let s = ip.toLowerCase()
  // An embedded IPv4 tail (::ffff:1.2.3.4).
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s)
  if (v4) {
    const n = v4ToBig(v4[1]!)
    s = s.slice(0, -v4[1]!.length) + ((n >> 16n) & 0xffffn).toString(16) + ':' + (n & 0xffffn).toString(16)
  }
  const [head, tail] = s.split('::')
  const a = head ? head.split(':') : []
  const b = tail !== undefined ? (tail ? tail.split(':') : []) : []
  const fill = tail !== undefined ? Array(8 - a.length - b.length).fill('0') : []
  return [...a, ...fill, ...b].reduce((acc, p) => (acc << 16n) | BigInt(parseInt(p || '0', 16)), 0n)
}

/** An address as (family, number), IPv4-mapped IPv6 folded to IPv4. */
function norm(ip: string): { v: 4 | 6; n: bigint } | undefined {
  const a = ip.trim().replace(/^\[|\]$/g, '')
  if (a.toLowerCase().startsWith('::ffff:') && isIP(a.slice(7)) === 4) return { v: 4, n: v4ToBig(a.slice(7)) }
  const fam = isIP(a)
  if (fam === 4) return { v: 4, n: v4ToBig(a) }
  if (fam === 6) return { v: 6, n: v6ToBig(a) }
  return undefined
}

export interface Cidr {
  v: 4 | 6
  base: bigint
  bits: number
}

/** `10.0.0.0/8`, `2001:db8::/32` or a single address; undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, len] = text.trim().split('/')
  const a = norm(addr ?? '')
  if (!a) return undefined
  const max = a.v === 4 ? 32 : 128
  const bits = len === undefined ? max : Number(len)
  if (!Number.isInteger(bits) || bits < 0 || bits > max) return undefined
  const shift = BigInt(max - bits)
  return { v: a.v, base: (a.n >> shift) << shift, bits }
}

export function inCidr(ip: string, c: Cidr): boolean {
  const a = norm(ip)
  if (!a || a.v !== c.v) return false
  const shift = BigInt((c.v === 4 ? 32 : 128) - c.bits)
  return (a.n >> shift) << shift === c.base
}
