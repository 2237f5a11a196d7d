// Identifiers, fingerprints and timestamps in the forms Compute Engine uses: 64-bit ids as
// numeric strings, base64 fingerprints of a resource's content, RFC 3339 timestamps.
import { createHash, randomBytes } from 'node:crypto'

export const API_BASE = 'https://www.googleapis.com/compute/v1'

/** A random unsigned 64-bit id in decimal, never starting with 0. */
export function newId(): string {
  const n = randomBytes(8).readBigUInt64BE() % 9_000_000_000_000_000_000n
  return (n + 1_000_000_000_000_000_000n).toString()
}

export function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value ?? null)).digest().subarray(0, 8).toString('base64')
}

export function timestamp(ms = Date.now()): string {
  return new Date(ms).toISOString().replace('Z', '+00:00')
}

/** `operation-<ms>-<hex>-<hex>-<hex>`, as Compute names operations. */
export function operationName(): string {
  const hex = (n: number) => randomBytes(n).toString('hex')
  return `operation-${Date.now()}-${hex(6).slice(0, 13)}-${hex(4)}-${hex(4)}`
}

/** The last path segment of a resource URL or partial path ("zones/z/machineTypes/n1" → "n1"). */
export function lastSegment(urlOrName: string): string {
  return urlOrName.slice(urlOrName.lastIndexOf('/') + 1)
}
