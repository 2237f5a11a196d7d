// Requests: the `sky api status -a` view. Filter by owner, status and text; cancel an active
// request; the selected request's log streams below while it runs.
import { errorText, runAction } from '../lib/actions'
import { cancelRequests, EtagJson, streamText, type RequestRow } from '../lib/api'
import { esc, qs, setHtml } from '../lib/dom'
import { badge, duration, plural, timeAgo } from '../lib/format'
import { LogView } from '../lib/log-view'
import { Poller } from '../lib/poll'
import { patchRows } from '../lib/rows'
import { href, navigate, setQuery, type Page } from '../lib/router'

const LIMIT = 1000
const STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']
/** Reads that clients (this dashboard included) repeat every few seconds. */
const ROUTINE = new Set(['sky.status', 'sky.queue', 'sky.job_status'])

function cells(r: RequestRow): string {
  const active = r.status === 'PENDING' || r.status === 'RUNNING'
  const link = href(`/requests/${encodeURIComponent(r.request_id)}`)
  return [
    `<td class="mono lead"><a href="${link}" data-link title="${esc(r.request_id)}">${esc(r.request_id.slice(0, 8))}</a></td>`,
    `<td>${esc(r.user_name)}</td>`,
    `<td>${esc(r.name)}</td>`,
    `<td>${r.cluster_name ? `<a href="${href(`/clusters/${encodeURIComponent(r.cluster_name)}`)}" data-link>${esc(r.cluster_name)}</a>` : '<span class="muted">-</span>'}</td>`,
    `<td>${timeAgo(r.created_at)}</td>`,
    `<td class="opt">${esc(duration(r.started_at, r.finished_at))}</td>`,
    `<td class="st">${badge(r.status)}${r.error ? ` <span class="why" title="${esc((r.error as { message?: string }).message ?? '')}" aria-label="${esc((r.error as { message?: string }).message ?? '')}">i</span>` : ''}</td>`,
    `<td><div class="actions"><a class="btn btn-sm" href="${link}" data-link aria-label="Log of request ${esc(r.request_id.slice(0, 8))}">Log</a>${
      active ? `<button type="button" class="btn btn-sm btn-danger" data-cancel="${esc(r.request_id)}" aria-label="Cancel request ${esc(r.request_id.slice(0, 8))}">Cancel</button>` : ''
    }</div></td>`,
  ].join('')
}

/** The selected request: what it is and, when it failed, why. */
function detail(r: RequestRow): string {
  const err = r.error as { message?: string; hint?: string } | null | undefined
  return `<div class="facts req">
    <div><dt>Request</dt><dd class="mono">${esc(r.request_id)}</dd></div>
    <div><dt>Name</dt><dd>${esc(r.name)}</dd></div>
    <div><dt>User</dt><dd>${esc(r.user_name)}</dd></div>
    <div><dt>Status</dt><dd>${badge(r.status)}</dd></div>
    <div><dt>Created</dt><dd>${timeAgo(r.created_at)}</dd></div>
    <div><dt>Duration</dt><dd>${esc(duration(r.started_at, r.finished_at))}</dd></div>
    ${err?.message ? `<div class="wide"><dt>Error</dt><dd class="error-text">${esc(err.message)}${err.hint ? `<br><span class="muted">${esc(err.hint)}</span>` : ''}</dd></div>` : ''}
  </div>`
}

export const requestsPage: Page = (main, params, query) => {
  const st = { all: query.get('all') === '1', status: query.get('status') ?? '', q: query.get('q') ?? '', routine: query.get('routine') === '1' }
  const selected = params.id
  let data: RequestRow[] | undefined
  main.innerHTML = `
    <div class="page-head"><h1>Requests</h1><span class="sub">every command is a request to the API server</span></div>
    <div class="toolbar">
      <input type="search" data-search placeholder="Search id, name, cluster   /" aria-label="Search requests" value="${esc(st.q)}">
      <div class="seg" role="group" aria-label="Whose requests">
        <button type="button" data-scope="mine">Mine</button><button type="button" data-scope="all">All users</button>
      </div>
      <select data-status aria-label="Filter by status">
        <option value="">All statuses</option><option value="active"${st.status === 'active' ? ' selected' : ''}>Active</option>
        ${STATUSES.map((s) => `<option${s === st.status ? ' selected' : ''}>${s}</option>`).join('')}
      </select>
      <label class="check"><input type="checkbox" data-routine${st.routine ? ' checked' : ''}> Show status polls</label>
      <span class="summary" data-summary aria-live="polite"></span>
    </div>
    <div data-error></div>
    <div data-detail></div>
    <div data-log></div>
    <div class="table-wrap">
      <table class="stack" aria-label="Requests">
        <thead><tr><th>ID</th><th>User</th><th>Name</th><th>Cluster</th><th>Created</th><th class="opt">Duration</th><th>Status</th><th><span hidden>Actions</span></th></tr></thead>
        <tbody></tbody>
      </table>
      <div class="empty" data-empty>Loading requests…</div>
    </div>`
  const tbody = qs<HTMLTableSectionElement>(main, 'tbody')
  const empty = qs(main, '[data-empty]')
  const errorBox = qs(main, '[data-error]')
  const search = qs<HTMLInputElement>(main, '[data-search]')
  let log: LogView | undefined

  const saveQuery = () => {
    const q = new URLSearchParams()
    if (st.all) q.set('all', '1')
    if (st.status) q.set('status', st.status)
    if (st.q) q.set('q', st.q)
    if (st.routine) q.set('routine', '1')
    setQuery(q)
  }
  const scopeButtons = () => {
    main.querySelectorAll<HTMLButtonElement>('[data-scope]').forEach((b) => b.setAttribute('aria-pressed', String((b.dataset.scope === 'all') === st.all)))
  }

  const render = () => {
    if (!data) return
    const needle = st.q.trim().toLowerCase()
    const shown = data.filter(
      (r) =>
        (st.routine || !ROUTINE.has(r.name) || r.request_id === selected) &&
        (!st.status || (st.status === 'active' ? r.status === 'PENDING' || r.status === 'RUNNING' : r.status === st.status)) &&
        (!needle || r.request_id.startsWith(needle) || r.name.toLowerCase().includes(needle) || (r.cluster_name ?? '').toLowerCase().includes(needle)),
    )
    patchRows(
      tbody,
      shown.map((r) => ({ key: r.request_id, html: cells(r), cls: r.request_id === selected ? 'selected' : '' })),
    )
    const active = data.filter((r) => r.status === 'PENDING' || r.status === 'RUNNING').length
    qs(main, '[data-summary]').innerHTML = `<b>${plural(shown.length, 'request')}</b> shown${active ? ` · ${active} active` : ''}${data.length >= LIMIT ? ` · newest ${LIMIT}` : ''}`
    empty.hidden = shown.length > 0
    if (!shown.length) empty.textContent = data.length ? 'No requests match the filters.' : 'No requests yet.'
    const sel = selected ? data.find((r) => r.request_id === selected) : undefined
    setHtml(qs(main, '[data-detail]'), sel ? detail(sel) : '')
    main.dataset.rendered = String(shown.length)
  }

  const source = new EtagJson<RequestRow[]>()
  const poller = new Poller<RequestRow[]>(
    (signal) => source.get(`/api/dashboard/requests?limit=${LIMIT}${st.all ? '&all_users=true' : ''}`, signal),
    (d) => {
      data = d
      errorBox.innerHTML = ''
      render()
    },
    (e) => (errorBox.innerHTML = `<div class="notice error" role="alert">${esc(errorText(e).title)}</div>`),
    2000,
  )

  if (selected) {
    log = new LogView(`Request ${selected.slice(0, 8)} log`, () => navigate(href('/requests') + location.search))
    qs(main, '[data-log]').replaceChildren(log.root)
    void log.follow((signal) => streamText(`/api/stream?request_id=${encodeURIComponent(selected)}`, signal))
  }

  main.addEventListener('click', (e) => {
    const t = e.target as HTMLElement
    const scope = t.closest<HTMLElement>('[data-scope]')
    if (scope) {
      st.all = scope.dataset.scope === 'all'
      scopeButtons()
      saveQuery()
      poller.invalidate()
      poller.refresh()
      return
    }
    const c = t.closest<HTMLElement>('[data-cancel]')
    if (c) {
      const id = c.dataset.cancel!
      void runAction({
        title: `Cancel request ${id.slice(0, 8)}?`,
        body: 'The request stops where it is; what it already did stays done.',
        confirm: 'Cancel request',
        danger: true,
        busy: `Cancelling request ${id.slice(0, 8)}…`,
        done: (r: { cancelled: string[] }) => (r.cancelled.length ? `Request ${id.slice(0, 8)} cancelled.` : `Request ${id.slice(0, 8)} had already finished.`),
        run: () => cancelRequests([id]),
        after: () => poller.refresh(),
      })
    }
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
  qs<HTMLInputElement>(main, '[data-routine]').addEventListener('change', (e) => {
    st.routine = (e.target as HTMLInputElement).checked
    saveQuery()
    render()
  })
  scopeButtons()
  poller.start()
  return () => {
    poller.stop()
    log?.stop()
  }
}
