// Managed jobs: the `sky jobs queue` view (mine / all users, by status, by name), refreshed every
// few seconds; a job's row opens its log (output or controller log), live while it runs; cancel
// from the row, through POST /jobs/cancel like the CLI.
import { errorText, runAction } from '../lib/actions'
import type { ResultOf } from '../../api/define'
import type { cancel, logs } from '../../api/ops/managed-jobs'
import type { dashboardJobs } from '../../api/ops/dashboard'
import type { ManagedJob } from '../../api/wire'
import { call, cancelRequests, EtagJson, streamText, submitOp } from '../lib/api'
import { esc, qs, setHtml } from '../lib/dom'
import { badge, plural, timeAgo } from '../lib/format'
import { LogView } from '../lib/log-view'
import { Poller } from '../lib/poll'
import { patchRows, type Row } from '../lib/rows'
import { href, navigate, setQuery, type Page } from '../lib/router'
import { shortDuration } from '../../lib/time'

type JobTask = ManagedJob
type Snapshot = ResultOf<typeof dashboardJobs>

const TERMINAL = new Set(['SUCCEEDED', 'CANCELLED', 'FAILED', 'FAILED_SETUP', 'FAILED_PRECHECKS', 'FAILED_NO_RESOURCE', 'FAILED_CONTROLLER'])
const STATUSES = ['PENDING', 'STARTING', 'RUNNING', 'RECOVERING', 'CANCELLING', 'SUCCEEDED', 'CANCELLED', 'FAILED', 'FAILED_SETUP', 'FAILED_PRECHECKS', 'FAILED_NO_RESOURCE', 'FAILED_CONTROLLER']

/** A pipeline's status: the first task that did not succeed decides. */
const jobStatus = (tasks: JobTask[]) => tasks.find((t) => t.status !== 'SUCCEEDED')?.status ?? 'SUCCEEDED'

function durations(t: { submitted_at: number; end_at: number | null; job_duration: number; start_at: number | null }): [string, string] {
  const total = shortDuration(((t.end_at ?? Date.now() / 1000) - t.submitted_at) * 1000)
  return [total, t.job_duration > 0 || t.start_at ? shortDuration(t.job_duration * 1000) : '-']
}

function cells(id: string, task: string, name: string, t: JobTask, status: string, requested: string, dur: [string, string], recoveries: number, actions: string): string {
  return [
    `<td class="lead mono">${id}</td>`,
    `<td class="opt mono">${esc(task)}</td>`,
    `<td class="name">${name}</td>`,
    `<td>${esc(t.user_name)}</td>`,
    `<td class="opt mono">${esc(requested)}</td>`,
    `<td>${timeAgo(t.submitted_at * 1000)}</td>`,
    `<td class="opt">${dur[0]}</td>`,
    `<td class="opt">${dur[1]}</td>`,
    `<td class="opt">${recoveries}</td>`,
    `<td class="st"${t.failure_reason ? ` title="${esc(t.failure_reason)}"` : ''}>${badge(status)}</td>`,
    `<td><div class="actions">${actions}</div></td>`,
  ].join('')
}

function jobRows(tasks: JobTask[], selected: number | undefined): Row[] {
  const first = tasks[0]!
  const id = first.job_id
  const status = jobStatus(tasks)
  const link = (text: string) => `<a href="${href(`/jobs/${id}`)}" data-link>${esc(text)}</a>`
  const cancel = TERMINAL.has(status) ? '' : `<button type="button" class="btn btn-sm btn-danger" data-cancel="${id}" aria-label="Cancel job ${id}">Cancel</button>`
  const cls = id === selected ? 'selected' : ''
  if (tasks.length === 1) {
    return [{ key: String(id), cls, html: cells(String(id), '-', link(first.task_name ?? first.job_name), first, status, first.resources, durations(first), first.recovery_count, cancel) }]
  }
  const ended = tasks.every((t) => t.end_at !== null) ? Math.max(...tasks.map((t) => t.end_at!)) : null
  const ran = tasks.reduce((a, t) => a + t.job_duration, 0)
  const parent = { ...first, end_at: ended, job_duration: ran }
  const rows: Row[] = [{ key: String(id), cls, html: cells(String(id), '', link(first.job_name), parent, status, '-', durations(parent), tasks.reduce((a, t) => a + t.recovery_count, 0), cancel) }]
  for (const t of tasks) rows.push({ key: `${id}/${t.task_id}`, cls: `child ${cls}`, html: cells('↳', String(t.task_id), esc(t.task_name ?? '-'), t, t.status, t.resources, durations(t), t.recovery_count, '') })
  return rows
}

function cancelJob(id: number, after: () => void): void {
  void runAction({
    title: `Cancel managed job ${id}?`,
    body: 'Its cluster is torn down and the job ends CANCELLED; later tasks of a pipeline do not run.',
    confirm: 'Cancel job',
    danger: true,
    busy: `Cancelling managed job ${id}…`,
    done: (r: ResultOf<typeof cancel> | null) => (r?.cancelled.includes(id) ? `Managed job ${id} cancelled.` : `Managed job ${id} had already finished.`),
    run: () => call<typeof cancel>('/jobs/cancel', { job_ids: [id] }),
    after,
  })
}

export const jobsPage: Page = (main, params, query) => {
  const st = { all: query.get('all') === '1', status: query.get('status') ?? '', q: query.get('q') ?? '', controller: query.get('log') === 'controller' }
  const chosen = params.id ? Number(params.id) : undefined
  let data: Snapshot | undefined
  main.innerHTML = `
    <div class="page-head"><h1>Managed jobs</h1></div>
    <div class="toolbar">
      <input type="search" data-search placeholder="Search by name   /" aria-label="Search jobs by name" value="${esc(st.q)}">
      <div class="seg" role="group" aria-label="Whose jobs">
        <button type="button" data-scope="mine">Mine</button><button type="button" data-scope="all">All users</button>
      </div>
      <select data-status aria-label="Filter by status">
        <option value="">All statuses</option><option value="active"${st.status === 'active' ? ' selected' : ''}>In progress</option>
        ${STATUSES.map((s) => `<option${s === st.status ? ' selected' : ''}>${s}</option>`).join('')}
      </select>
      <span class="summary" data-summary aria-live="polite"></span>
    </div>
    <div data-error></div>
    <div class="table-wrap">
      <table class="stack" aria-label="Managed jobs">
        <thead><tr><th>ID</th><th class="opt">Task</th><th>Name</th><th>User</th><th class="opt">Requested</th><th>Submitted</th><th class="opt">Total</th><th class="opt">Job duration</th><th class="opt">#Recoveries</th><th>Status</th><th><span hidden>Actions</span></th></tr></thead>
        <tbody></tbody>
      </table>
      <div class="empty" data-empty>Loading managed jobs…</div>
    </div>
    <div data-log-slot></div>`
  const tbody = qs<HTMLTableSectionElement>(main, 'tbody')
  const empty = qs(main, '[data-empty]')
  const summary = qs(main, '[data-summary]')
  const errorBox = qs(main, '[data-error]')
  const search = qs<HTMLInputElement>(main, '[data-search]')

  const saveQuery = () => {
    const q = new URLSearchParams()
    if (st.all) q.set('all', '1')
    if (st.status) q.set('status', st.status)
    if (st.q) q.set('q', st.q)
    if (st.controller) q.set('log', 'controller')
    setQuery(q)
  }
  const scopeButtons = () => main.querySelectorAll<HTMLButtonElement>('[data-scope]').forEach((b) => b.setAttribute('aria-pressed', String((b.dataset.scope === 'all') === st.all)))

  let log: LogView | undefined
  const openLog = (id: number) => {
    log?.stop()
    log = new LogView(`Managed job ${id} · ${st.controller ? 'controller log' : 'output'}`, () => navigate(href('/jobs') + location.search))
    const toggle = document.createElement('button')
    toggle.type = 'button'
    toggle.className = 'btn btn-sm btn-ghost'
    toggle.dataset.logKind = ''
    toggle.textContent = st.controller ? 'Show output' : 'Show controller log'
    toggle.addEventListener('click', () => {
      st.controller = !st.controller
      saveQuery()
      openLog(id)
    })
    log.root.querySelector('.log-head .spacer')!.after(toggle)
    qs(main, '[data-log-slot]').replaceChildren(log.root)
    let requestId: string | undefined
    let finished = false
    void log.follow(
      async function* (signal) {
        requestId = await submitOp<typeof logs>('/jobs/logs', { job_id: id, follow: true, controller: st.controller }, signal)
        yield* streamText(`/api/stream?request_id=${encodeURIComponent(requestId)}`, signal)
        finished = true
      },
      () => {
        if (requestId && !finished) void cancelRequests([requestId]).catch(() => {})
      },
    )
  }

  const render = () => {
    if (!data) return
    const byJob = new Map<number, JobTask[]>()
    for (const t of data.jobs) (byJob.get(t.job_id) ?? byJob.set(t.job_id, []).get(t.job_id)!).push(t)
    const needle = st.q.trim().toLowerCase()
    const shown = [...byJob.values()].filter((tasks) => {
      const s = jobStatus(tasks)
      const okStatus = !st.status || (st.status === 'active' ? !TERMINAL.has(s) : tasks.some((t) => t.status === st.status))
      const okName = !needle || tasks.some((t) => `${t.job_name} ${t.task_name ?? ''}`.toLowerCase().includes(needle))
      return okStatus && okName
    })
    patchRows(tbody, shown.flatMap((tasks) => jobRows(tasks.sort((a, b) => a.task_id - b.task_id), chosen)))
    const progress = Object.entries(data.in_progress).map(([s, n]) => ` · ${n} ${s}`).join('')
    summary.innerHTML = `<b>${plural(data.total, 'job')}</b>${progress}${shown.length !== byJob.size ? ` · ${shown.length} shown` : ''}${data.total > byJob.size ? ` · latest ${byJob.size} listed` : ''}`
    empty.hidden = shown.length > 0
    if (!shown.length) {
      empty.innerHTML = byJob.size
        ? 'No managed jobs match the filters.'
        : `<h3>No managed jobs${st.all ? '' : ' of yours'} yet</h3>Launch one with <code>sky jobs launch -n hello -- echo hello</code>: it gets its own cluster, torn down when it ends, and is recovered if that cluster is lost.`
    }
    main.dataset.rendered = String(shown.length)
  }

  const source = new EtagJson<Snapshot>()
  const poller = new Poller<Snapshot>(
    (signal) => source.get(`/api/dashboard/jobs${st.all ? '?all_users=1' : ''}`, signal),
    (d) => {
      data = d
      errorBox.innerHTML = ''
      render()
    },
    (e) => {
      setHtml(errorBox, `<div class="notice error" role="alert">${esc(errorText(e).title)}</div>`)
      if (!data) empty.textContent = 'Could not load managed jobs.'
    },
    2500,
  )

  main.addEventListener('click', (e) => {
    const t = e.target as HTMLElement
    const scope = t.closest<HTMLElement>('[data-scope]')
    if (scope) {
      const all = scope.dataset.scope === 'all'
      if (all === st.all) return
      st.all = all
      scopeButtons()
      saveQuery()
      data = undefined
      empty.hidden = false
      empty.textContent = 'Loading managed jobs…'
      patchRows(tbody, [])
      poller.invalidate()
      poller.refresh()
      return
    }
    const c = t.closest<HTMLElement>('[data-cancel]')
    if (c) cancelJob(Number(c.dataset.cancel), () => poller.refresh())
  })
  search.addEventListener('input', () => {
    st.q = search.value
    saveQuery()
    render()
  })
  qs<HTMLSelectElement>(main, '[data-status]').addEventListener('change', (e) => {
    st.status = (e.target as HTMLSelectElement).value
    saveQuery()
    render()
  })
  scopeButtons()
  poller.start()
  if (chosen !== undefined) openLog(chosen)
  return () => {
    poller.stop()
    log?.stop()
  }
}
