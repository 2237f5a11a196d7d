// Request logs kept in the database (what every replica of a team server streams from), on both
// backends: append/flush/read/size/remove, byte offsets inside chunks, and ordering when many
// appends race, from one writer or from two replicas writing the same log.
import { describe, expect, test } from 'bun:test'
import { DbLogStore } from '../../../src/server/requests/db-log-store'
import { BACKENDS, storeFixture } from './backends'

const dec = new TextDecoder()
const enc = new TextEncoder()

/** Follow a log from offset 0 to its end, in reads of at most `max` bytes. */
async function readAll(logs: DbLogStore, id: string, max?: number): Promise<string> {
  const parts: Uint8Array[] = []
  let at = 0
  for (;;) {
    const { data, next } = await logs.read(id, at, max)
    if (!data.length) break
    expect(next).toBe(at + data.length)
    parts.push(data)
    at = next
  }
  return dec.decode(Buffer.concat(parts))
}

describe.each(BACKENDS)('%s DbLogStore', (kind) => {
  const fx = storeFixture(kind)

  test('append, flush, read from any offset, size, remove', async () => {
    const s = await fx.fresh()
    const logs = new DbLogStore(s.db)
    expect(await logs.size('r1')).toBe(0)
    expect(await logs.read('r1', 0)).toEqual({ data: new Uint8Array(0), next: 0 })
    logs.append('r1', 'hello ')
    logs.append('r1', '')
    await logs.flush('r1')
    logs.append('r1', 'wörld\n')
    logs.append('r1', 'line 2\n')
    await logs.flush()
    const text = 'hello wörld\nline 2\n'
    const bytes = enc.encode(text)
    expect(await logs.size('r1')).toBe(bytes.length)
    expect(dec.decode((await logs.read('r1', 0)).data)).toBe(text)
    // Offsets are bytes, also inside a chunk and across chunk boundaries.
    for (const off of [1, 6, 8, 13, bytes.length - 1]) {
      const r = await logs.read('r1', off)
      expect(r.data).toEqual(bytes.subarray(off))
      expect(r.next).toBe(bytes.length)
    }
    const capped = await logs.read('r1', 3, 5)
    expect(capped).toEqual({ data: bytes.subarray(3, 8), next: 8 })
    expect(await readAll(logs, 'r1', 3)).toBe(text)
    expect(await logs.read('r1', bytes.length)).toEqual({ data: new Uint8Array(0), next: bytes.length })
    // Another reader (another replica's store on the same database) sees the same bytes.
    const other = new DbLogStore((await fx.open(s.location, { migrate: false })).db)
    expect(await readAll(other, 'r1')).toBe(text)
    await other.remove('r1')
    expect(await logs.size('r1')).toBe(0)
    expect((await logs.read('r1', 0)).data.length).toBe(0)
  })

  test('many interleaved appends to several logs keep each log’s order, in few rows', async () => {
    const s = await fx.fresh()
    const logs = new DbLogStore(s.db)
    const want = new Map<string, string>()
    for (let i = 0; i < 400; i++) {
      const id = `req-${i % 5}`
      const line = `${id} line ${i} ${'x'.repeat(i % 7)}\n`
      logs.append(id, line)
      want.set(id, (want.get(id) ?? '') + line)
      // Sometimes let the writes run between appends.
      if (i % 37 === 0) await Bun.sleep(1)
    }
    await logs.flush()
    for (const [id, text] of want) {
      expect(await readAll(logs, id)).toBe(text)
      expect(await logs.size(id)).toBe(enc.encode(text).length)
    }
    const rows = Number((await s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM request_log_chunks`))!.n)
    expect(rows).toBeLessThan(400)
  })

  test('two replicas appending to one log: no byte lost or overlapping, each writer in order', async () => {
    const loc = await fx.location()
    const sa = await fx.open(loc)
    const a = new DbLogStore(sa.db)
    const b = new DbLogStore((await fx.open(loc, { migrate: false })).db)
    const id = 'shared'
    const write = async (logs: DbLogStore, who: string) => {
      for (let i = 0; i < 60; i++) {
        logs.append(id, `${who}${i};`)
        await Bun.sleep(i % 3)
      }
      await logs.flush(id)
    }
    // A reader follows the log while it grows, as /api/stream does.
    let followed = ''
    let at = 0
    let writing = true
    const reader = (async () => {
      for (;;) {
        const stillWriting = writing
        const { data, next } = await a.read(id, at)
        if (data.length) {
          followed += dec.decode(data)
          at = next
        } else if (!stillWriting) return
        else await Bun.sleep(2)
      }
    })()
    await Promise.all([write(a, 'A'), write(b, 'B')])
    writing = false
    await reader
    const text = await readAll(b, id)
    expect(followed).toBe(text)
    const items = text.split(';').filter(Boolean)
    expect(items.length).toBe(120)
    for (const who of ['A', 'B']) expect(items.filter((x) => x.startsWith(who))).toEqual(Array.from({ length: 60 }, (_, i) => `${who}${i}`))
    // Chunks tile the log exactly: each starts where the previous one ends.
    const chunks = await sa.db.all<{ seq: number; len: number }>(`SELECT seq, len FROM request_log_chunks WHERE request_id = ? ORDER BY seq`, [id])
    let end = 0
    for (const c of chunks) {
      expect(Number(c.seq)).toBe(end)
      end = Number(c.seq) + Number(c.len)
    }
    expect(end).toBe(enc.encode(text).length)
  })

  test('remove also drops appends still being written', async () => {
    const s = await fx.fresh()
    const logs = new DbLogStore(s.db)
    logs.append('gone', 'first\n')
    await logs.flush('gone')
    logs.append('gone', 'second\n')
    await logs.remove('gone')
    await logs.flush()
    logs.append('kept', 'k\n')
    await logs.flush()
    expect(await logs.size('kept')).toBe(2)
    expect(await logs.size('gone')).toBe(0)
  })
})
