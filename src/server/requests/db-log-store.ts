// Request logs in the database (table request_log_chunks), so every replica of a team server can
// stream any request's log. Each chunk row holds its byte offset (`seq`) and length; appends to
// one request are batched and written in order, one INSERT per batch; the next offset is taken
// from the last chunk in the same statement, and a concurrent writer elsewhere (a cancel note
// from another replica) just makes the INSERT retry.
import { isUniqueViolation, type Db } from '../../core/state/db'
import type { LogChunk, LogStore } from './log-store'
import { logger } from '../../core/log'

const log = logger('server:logs')

interface Pending {
  text: string
  flushing: Promise<void> | null
}

const enc = new TextEncoder()

export class DbLogStore implements LogStore {
  private pending = new Map<string, Pending>()

  constructor(private db: Db) {}

  append(id: string, text: string): void {
    if (!text) return
    let p = this.pending.get(id)
    if (!p) this.pending.set(id, (p = { text: '', flushing: null }))
    p.text += text
    if (!p.flushing) p.flushing = this.drain(id, p)
  }

  private async drain(id: string, p: Pending): Promise<void> {
    try {
      while (p.text) {
        const text = p.text
        p.text = ''
        await this.insert(id, enc.encode(text)).catch((e) => {
          log.warn(`request log ${id}: could not store ${text.length} characters:`, e)
        })
      }
    } finally {
      p.flushing = null
      if (!p.text && this.pending.get(id) === p) this.pending.delete(id)
    }
  }

  private async insert(id: string, data: Uint8Array): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.db.run(
          `INSERT INTO request_log_chunks (request_id, seq, len, data)
           VALUES (?, COALESCE((SELECT seq + len FROM request_log_chunks WHERE request_id = ? ORDER BY seq DESC LIMIT 1), 0), ?, ?)`,
          [id, id, data.length, data],
        )
        return
      } catch (e) {
        if (!isUniqueViolation(e) || attempt >= 20) throw e
      }
    }
  }

  async flush(id?: string): Promise<void> {
    if (id !== undefined) {
      while (this.pending.get(id)?.flushing) await this.pending.get(id)!.flushing
      return
    }
    for (const [k] of this.pending) await this.flush(k)
  }

  async read(id: string, offset: number, max = 1 << 20): Promise<LogChunk> {
    const rows = await this.db.all<{ seq: number; len: number; data: Uint8Array }>(
      `SELECT seq, len, data FROM request_log_chunks
       WHERE request_id = ? AND seq >= COALESCE((SELECT MAX(seq) FROM request_log_chunks WHERE request_id = ? AND seq <= ?), 0)
       ORDER BY seq LIMIT 256`,
      [id, id, offset],
    )
    const parts: Uint8Array[] = []
    let at = offset
    let total = 0
    for (const r of rows) {
      const seq = Number(r.seq)
      const end = seq + Number(r.len)
      if (end <= at) continue
      if (seq > at) break // a gap: a concurrent append not yet committed; read it next time
      const bytes = r.data instanceof Uint8Array ? r.data : new Uint8Array(r.data as ArrayBuffer)
      const piece = bytes.subarray(at - seq, Math.min(bytes.length, at - seq + (max - total)))
      parts.push(piece)
      total += piece.length
      at += piece.length
      if (total >= max) break
    }
    if (parts.length === 1) return { data: parts[0]!, next: at }
    const data = new Uint8Array(total)
    let o = 0
    for (const p of parts) {
      data.set(p, o)
      o += p.length
    }
    return { data, next: at }
  }

  async size(id: string): Promise<number> {
    const r = await this.db.get<{ n: number }>(`SELECT seq + len AS n FROM request_log_chunks WHERE request_id = ? ORDER BY seq DESC LIMIT 1`, [id])
    return r ? Number(r.n) : 0
  }

  async remove(id: string): Promise<void> {
    // Drop what is not written yet and wait for the insert in flight, so it cannot land after
    // the delete (on PostgreSQL the two may run on different connections).
    const p = this.pending.get(id)
    if (p) {
      p.text = ''
      await p.flushing
    }
    this.pending.delete(id)
    await this.db.run(`DELETE FROM request_log_chunks WHERE request_id = ?`, [id])
  }
}
