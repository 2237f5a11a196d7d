// One cluster: its facts and actions, its job queue (cancel a job), and the selected job's log,
// streaming while the job runs.
import { errorText } from '../lib/actions'
import { call, cancelRequests, EtagJson, streamText, submit } from '../lib/api'
import { esc, qs, setHtml } from '../lib/dom'
import { autostopLabel, badge, duration, infraLabel, plural, resourcesLabel, timeAgo } from '../lib/format'
import { LogView } from '../lib/log-view'
import { Poller } from '../lib/poll'
import { patchRows } from '../lib/rows'
import { href, navigate, type Page } from '../lib/router'
import { cancelJob, clusterAction, clusterButtons, type Cluster, type ClusterAct } from './cluster-actions'

/** A job as POST /queue returns it. */
export interface Job {
  id: number
  name: string | null
  user: string
  userHash: string
  submittedAt: number
  startedAt: number | null
  endedAt: number | null
  resources: string
  status: string
  exitCode: number | null
  numNodes: number
  failure: string | null
}

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
    f('User', esc(c.userName)),
    f('Infra', esc(infraLabel(c.infra))),
    f('Resources', `<span class="mono">${esc(resourcesLabel(c.numNodes, c.resources))}</span>`),
    f('Nodes', String(c.numNodes)),
    f('Autostop', esc(autostopLabel(c.autostopMinutes, c.autostopDown))),
    f('Launched', timeAgo(c.launchedAt)),
    f('Last used', timeAgo(c.lastUse)),
    `<div class="cmd"><dt>Command</dt><dd>${c.lastCommand ? `<code>${esc(c.lastCommand)}</code>` : '-'}</dd></div>`,
  ].join('')
}

function jobCells(cluster: string, j: Job): string {
  const link = href(`/clusters/${encodeURIComponent(cluster)}/${j.id}`)
  return [
    `<td class="num lead job-id">${j.id}</td>`,
    `<td>${esc(j.name ?? '-')}</td>`,
    `<td>${esc(j.user)}</td>`,
    `<td>${timeAgo(j.submittedAt)}</td>`,
    `<td class="opt">${timeAgo(j.startedAt)}</td>`,
    `<td class="opt">${esc(duration(j.startedAt, j.endedAt))}</td>`,
    `<td class="opt mono res">${esc(j.resources)}</td>`,
    `<td class="st">${badge(j.status)}${j.exitCode ? ` <span class="muted">exit ${j.exitCode}</span>` : ''}${j.failure ? ` <span class="why" title="${esc(j.failure)}" aria-label="${esc(j.failure)}">i</span>` : ''}</td>`,
    `<td><div class="actions"><a class="btn btn-sm" href="${link}" data-link aria-label="Log of job ${j.id}">Log</a>${
      ACTIVE.has(j.status) ? `<button type="button" class="btn btn-sm btn-danger" data-cancel="${j.id}" aria-label="Cancel job ${j.id}">Cancel</button>` : ''
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
        requestId = await submit('/logs', { cluster_name: name, job_id: jobId, follow: true }, signal)
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
    const selected = chosen ?? (jobs.length ? Math.max(...jobs.map((j) => j.id)) : undefined)
    patchRows(
      tbody,
      jobs.map((j) => ({ key: String(j.id), html: jobCells(name, j), cls: j.id === selected ? 'selected' : '' })),
    )
    if (selected !== undefined && selected !== shownJob && jobs.some((j) => j.id === selected)) openLog(selected)
  }

  const source = new EtagJson<Cluster[]>()
  const poller = new Poller<Snapshot>(
    async (signal) => {
      const [cluster] = await source.get(`/api/dashboard/clusters?name=${encodeURIComponent(name)}`, signal)
      const s: Snapshot = { cluster: cluster ?? null, jobs: null, jobsError: null }
      if (cluster?.status === 'UP') {
        try {
          s.jobs = (await call<Job[]>('/queue', { cluster_name: name, all_users: true }, signal)).sort((a, b) => b.id - a.id)
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
