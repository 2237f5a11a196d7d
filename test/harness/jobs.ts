// Helpers for managed-jobs tests: the queue as JSON, waiting for statuses, job logs.
import { readdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { ManagedJob as ManagedJobSchema, type ManagedJob as ManagedJobWire } from '../../src/api/wire'
import { wireErrors } from './wire'
import { localAuth, waitFor, type TempHome } from './index'

export const TERMINAL = ['SUCCEEDED', 'CANCELLED', 'FAILED', 'FAILED_SETUP', 'FAILED_PRECHECKS', 'FAILED_NO_RESOURCE', 'FAILED_CONTROLLER']

export async function queueJson(h: TempHome, extra: string[] = []): Promise<ManagedJobWire[]> {
  const r = await h.sky(['jobs', 'queue', '-u', '--all', '-o', 'json', ...extra])
  if (r.code !== 0) throw new Error(`jobs queue failed (${r.code}): ${r.stderr}`)
  const rows = JSON.parse(r.stdout) as ManagedJobWire[]
  // Every record is SkyPilot's managed-job record (src/api/wire.ts).
  const bad = wireErrors(ManagedJobSchema, rows)
  if (bad.length) throw new Error(`sky jobs queue -o json is off the wire type: ${bad.slice(0, 5).join('; ')}`)
  return rows
}

/** The single-task job's record (or the first task of a pipeline). */
export async function jobOf(h: TempHome, id: number): Promise<ManagedJobWire | undefined> {
  return (await queueJson(h)).find((j) => j.job_id === id && j.task_id === 0)
}

export async function waitJob(h: TempHome, id: number, ok: (j: ManagedJobWire) => boolean, timeoutMs = 60_000, what = `managed job ${id} to pass ${ok.toString().slice(0, 80)}`): Promise<ManagedJobWire> {
  let seen: ManagedJobWire | undefined
  return waitFor(
    async () => {
      seen = await jobOf(h, id)
      return seen && ok(seen) ? seen : undefined
    },
    {
      timeoutMs,
      stepMs: 200,
      // On failure, say where the job was (or that it does not exist).
      get what() {
        return `${what}; it is ${seen ? JSON.stringify({ status: seen.status, schedule_state: seen.schedule_state, failure_reason: seen.failure_reason, cluster_name: seen.cluster_name, recovery_count: seen.recovery_count }) : 'not listed'}`
      },
    },
  )
}

export async function waitStatus(h: TempHome, id: number, status: string | string[], timeoutMs = 60_000): Promise<ManagedJobWire> {
  const want = Array.isArray(status) ? status : [status]
  return waitJob(h, id, (j) => want.includes(j.status), timeoutMs, `managed job ${id} to be ${want.join(' or ')}`)
}

/** Every task of every job final. */
export async function waitAllFinal(h: TempHome, timeoutMs = 120_000): Promise<ManagedJobWire[]> {
  return waitFor(async () => {
    const q = await queueJson(h)
    return q.length && q.every((j) => TERMINAL.includes(j.status)) ? q : undefined
  }, timeoutMs, 250)
}

export async function jobLogs(h: TempHome, id: number, extra: string[] = []): Promise<{ code: number; text: string }> {
  const r = await h.sky(['jobs', 'logs', String(id), '--no-follow', ...extra])
  return { code: r.code, text: r.stdout }
}

/** The job id in `sky jobs launch` output. */
export function launchedId(out: string): number {
  const m = /submitted, ID: (\d+)/.exec(out)
  if (!m) throw new Error(`no job id in: ${out}`)
  return Number(m[1])
}

/** Local clusters' directories still on disk under this home (named `<cluster>-<user hash>`). */
export function localClusterDirs(h: TempHome): string[] {
  const d = join(h.dir, 'local')
  return existsSync(d) ? readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name) : []
}

/** Whether a directory of this local cluster is still on disk. */
export function hasLocalCluster(h: TempHome, cluster: string): boolean {
  return localClusterDirs(h).some((d) => d.startsWith(`${cluster}-`))
}

export function count(text: string, needle: string): number {
  return text.split(needle).length - 1
}

/** POST an operation straight to the API (as any user the headers name) and wait for its result. */
export async function apiCall<T = unknown>(endpoint: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: string; return_value?: T; error?: { code: string; message: string } }> {
  const r = await fetch(endpoint + path, { method: 'POST', headers: { 'content-type': 'application/json', ...localAuth(endpoint), ...headers }, body: JSON.stringify(body) })
  const id = r.headers.get('x-skypilot-request-id')
  if (!id) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`)
  for (;;) {
    const g = await fetch(`${endpoint}/api/get?request_id=${id}`, { headers: { ...localAuth(endpoint), ...headers } })
    if (g.status === 200) return (await g.json()) as { status: string; return_value?: T; error?: { code: string; message: string } }
    if (g.status !== 202) throw new Error(`/api/get: HTTP ${g.status} ${await g.text()}`)
  }
}
