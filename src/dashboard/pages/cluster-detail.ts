// One cluster: its facts and actions, its job queue (cancel a job), and the selected job's log,
// streaming while the job runs.
import { errorText } from '../lib/actions'
import type { logs, queue } from '../../api/ops/jobs'
import type { ClusterJob } from '../../api/wire'
import { call, cancelRequests, EtagJson, streamText, submitOp } from '../lib/api'
import { esc, qs, setHtml } from '../lib/dom'
import { autostopLabel, badge, duration, plural, timeAgo } from '../lib/format'
import { LogView } from '../lib/log-view'
import { Poller } from '../lib/poll'
import { patchRows } from '../lib/rows'
import { href, navigate, type Page } from '../lib/router'
import { cancelJob, clusterAction, clusterButtons, type Cluster, type ClusterAct } from './cluster-actions'

/** A job as POST /queue returns it. */
export type Job = ClusterJob

const ACTIVE = new Set(['INIT', 'PENDING', 'SETTING_UP', 'RUNNING'])

interface Snapshot {
  cluster: Cluster | null
  jobs: Job[] | null
  jobsError: string | null
}

function facts(c: Cluster): string {
  const f = (k: string, v: string) => `<div><dt>${k}</dt><dd>${v}</dd></div>`
  return [
    f('Status', badge(c.status)),
    f('User', esc(c.user_name)),
    f('Infra', esc(c.infra)),
    f('Resources', `<span class="mono">${esc(c.resources_str)}</span>`),
    f('Nodes', String(c.nodes)),
    f('Autostop', esc(autostopLabel(c))),
    f('Launched', timeAgo(c.launched_at)),
    f('Last used', timeAgo(c.last_activity_time)),
    `<div class="cmd"><dt>Command</dt><dd>${c.last_use ? `<code>${esc(c.last_use)}</code>` : '-'}</dd></div>`,
  ].join('')
}

function jobCells(cluster: string, j: Job): string {
  const link = href(`/clusters/${encodeURIComponent(cluster)}/${j.job_id}`)
  return [
    `<td class="num lead job-id">${j.job_id}</td>`,
    `<td>${esc(j.job_name ?? '-')}</td>`,
    `<td>${esc(j.username)}</td>`,
    `<td>${timeAgo(j.submitted_at)}</td>`,
    `<td class="opt">${timeAgo(j.start_at)}</td>`,
    `<td class="opt">${esc(duration(j.start_at, j.end_at))}</td>`,
    `<td class="opt mono res">${esc(j.resources)}</td>`,
    `<td class="st">${badge(j.status)}${j.exit_code ? ` <span class="muted">exit ${j.exit_code}</span>` : ''}${j.failure ? ` <span class="why" title="${esc(j.failure)}" aria-label="${esc(j.failure)}">i</span>` : ''}</td>`,
    `<td><div class="actions"><a class="btn btn-sm" href="${link}" data-link aria-label="Log of job ${j.job_id}">Log</a>${
      ACTIVE.has(j.status) ? `<button type="button" class="btn btn-sm btn-danger" data-cancel="${j.job_id}" aria-label="Cancel job ${j.job_id}">Cancel</button>` : ''
    }</div></td>`,
  ].join('')
}

export const clusterPage: Page = (main, params) => {
  const name = params.name!
  const chosen = params.job ? Number(params.job) : undefined
  main.innerHTML = `
    <div class="crumbs"><a href="${href('/clusters')}" data-link>Clusters</a> / ${esc(name)}</div>
    <div class="page-head"><h1>${esc(name)}</h1><span data-badge></span><span class="spacer"></span><div class="actions" data-actions></div></div>
    <div data-error></div>
    <dl class="facts" data-facts><div><dt>Status</dt><dd class="muted">Loading…</dd></div></dl>
    <h2>Jobs <span class="muted" data-jobs-summary></span></h2>
    <div data-jobs-note></div>
    <div class="table-wrap" data-jobs-wrap hidden>
      <table class="stack" aria-label="Job queue">
        <thead><tr><th class="num">ID</th><th>Name</th><th>User</th><th>Submitted</th><th class="opt">Started</th><th class="opt">Duration</th><th class="opt">Resources</th><th>Status</th><th><span hidden>Actions</span></th></tr></thead>
        <tbody></tbody>
      </table>
    </div>
    <div data-log></div>`
  const tbody = qs<HTMLTableSectionElement>(main, 'tbody')
  const logSlot = qs(main, '[data-log]')
  let shownJob: number | undefined
  let activeJobs = 0
  let clusterStatus: string | undefined
  let log: LogView | undefined

  const openLog = (jobId: number) => {
    shownJob = jobId
    log?.stop()
    log = new LogView(`Job ${jobId} log`, () => navigate(href(`/clusters/${encodeURIComponent(name)}`)))
    logSlot.replaceChildren(log.root)
    // A job picked from the table (its own address): bring its log into view.
    if (jobId === chosen) log.root.scrollIntoView({ block: 'nearest' })
    let requestId: string | undefined
    let finished = false
    void log.follow(
      async function* (signal) {
        requestId = await submitOp<typeof logs>('/logs', { cluster_name: name, job_id: jobId, follow: true }, signal)
        yield* streamText(`/api/stream?request_id=${encodeURIComponent(requestId)}`, signal)
        finished = true
      },
      // Closing the panel early stops the server-side follower too.
      () => {
        if (requestId && !finished) void cancelRequests([requestId]).catch(() => {})
      },
    )
  }

  const render = (s: Snapshot) => {
    const c = s.cluster
    if (!c) {
      setHtml(qs(main, '[data-facts]'), `<div><dt>Status</dt><dd>Not found</dd></div>`)
      setHtml(qs(main, '[data-error]'), `<div class="notice">Cluster '${esc(name)}' does not exist (any more). <a href="${href('/clusters')}" data-link>All clusters</a></div>`)
      setHtml(qs(main, '[data-actions]'), '')
      setHtml(qs(main, '[data-badge]'), '')
      qs(main, '[data-jobs-wrap]').hidden = true
      return
    }
    clusterStatus = c.status
    setHtml(qs(main, '[data-error]'), '')
    setHtml(qs(main, '[data-badge]'), badge(c.status))
    setHtml(qs(main, '[data-actions]'), clusterButtons(c, ''))
    setHtml(qs(main, '[data-facts]'), facts(c))
    const note = qs(main, '[data-jobs-note]')
    const wrap = qs(main, '[data-jobs-wrap]')
    if (c.status !== 'UP') {
      activeJobs = 0
      setHtml(note, `<div class="notice">The cluster is ${esc(c.status)}; its job queue is shown while it is UP.</div>`)
      wrap.hidden = true
      setHtml(qs(main, '[data-jobs-summary]'), '')
      return
    }
    if (s.jobsError) {
      setHtml(note, `<div class="notice error">${esc(s.jobsError)}</div>`)
      wrap.hidden = true
      return
    }
    const jobs = s.jobs ?? []
    setHtml(note, jobs.length ? '' : `<div class="empty"><h3>No jobs yet</h3>Run one with <code>sky exec ${esc(name)} -- echo hello</code></div>`)
    wrap.hidden = !jobs.length
    const active = jobs.filter((j) => ACTIVE.has(j.status)).length
    activeJobs = active
    setHtml(qs(main, '[data-jobs-summary]'), jobs.length ? `${plural(jobs.length, 'job')}${active ? `, ${active} active` : ''}` : '')
    const selected = chosen ?? (jobs.length ? Math.max(...jobs.map((j) => j.job_id)) : undefined)
    patchRows(
      tbody,
      jobs.map((j) => ({ key: String(j.job_id), html: jobCells(name, j), cls: j.job_id === selected ? 'selected' : '' })),
    )
    if (selected !== undefined && selected !== shownJob && jobs.some((j) => j.job_id === selected)) openLog(selected)
  }

  const source = new EtagJson<Cluster[]>()
  const poller = new Poller<Snapshot>(
    async (signal) => {
      const [cluster] = await source.get(`/api/dashboard/clusters?name=${encodeURIComponent(name)}`, signal)
      const s: Snapshot = { cluster: cluster ?? null, jobs: null, jobsError: null }
      if (cluster?.status === 'UP') {
        try {
          s.jobs = (await call<typeof queue>('/queue', { cluster_name: name, all_users: true }, signal)).sort((a, b) => b.job_id - a.job_id)
        } catch (e) {
          if ((e as Error).name === 'AbortError') throw e
          s.jobsError = errorText(e).title
        }
      }
      return s
    },
    render,
    (e) => setHtml(qs(main, '[data-error]'), `<div class="notice error" role="alert">${esc(errorText(e).title)}</div>`),
    // Each queue read asks the cluster's agent: often while jobs are active, gently otherwise.
    () => (activeJobs > 0 || clusterStatus === 'INIT' ? 2500 : 8000),
  )

  main.addEventListener('click', (e) => {
    const t = e.target as HTMLElement
    const act = t.closest<HTMLElement>('[data-act]')
    if (act) return clusterAction(act.dataset.act as ClusterAct, name, () => poller.refresh())
    const cancel = t.closest<HTMLElement>('[data-cancel]')
    if (cancel) cancelJob(name, Number(cancel.dataset.cancel), () => poller.refresh())
  })
  poller.start()
  return () => {
    poller.stop()
    log?.stop()
  }
}
