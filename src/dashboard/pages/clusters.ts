// Clusters: every cluster the user may see, filtered by owner (mine / all users), status and
// name, refreshed every few seconds; stop, start and down from the row.
import { errorText } from '../lib/actions'
import { EtagJson } from '../lib/api'
import { esc, qs } from '../lib/dom'
import { plural } from '../lib/format'
import { Poller } from '../lib/poll'
import { patchRows } from '../lib/rows'
import { setQuery, type Page } from '../lib/router'
import { clusterAction, clusterCells, type Cluster, type ClusterAct } from './cluster-actions'

const STATUSES = ['UP', 'INIT', 'STOPPED']

export const clustersPage: Page = (main, _params, query) => {
  const st = { all: query.get('all') === '1', status: query.get('status') ?? '', q: query.get('q') ?? '' }
  let data: Cluster[] | undefined
  main.innerHTML = `
    <div class="page-head"><h1>Clusters</h1></div>
    <div class="toolbar">
      <input type="search" data-search placeholder="Search by name   /" aria-label="Search clusters by name" value="${esc(st.q)}">
      <div class="seg" role="group" aria-label="Whose clusters">
        <button type="button" data-scope="mine">Mine</button><button type="button" data-scope="all">All users</button>
      </div>
      <select data-status aria-label="Filter by status">
        <option value="">All statuses</option>${STATUSES.map((s) => `<option${s === st.status ? ' selected' : ''}>${s}</option>`).join('')}
      </select>
      <span class="summary" data-summary aria-live="polite"></span>
    </div>
    <div data-error></div>
    <div class="table-wrap">
      <table class="stack" aria-label="Clusters">
        <thead><tr><th>Name</th><th>User</th><th>Infra</th><th class="opt">Resources</th><th>Status</th><th class="opt">Autostop</th><th>Launched</th><th><span hidden>Actions</span></th></tr></thead>
        <tbody></tbody>
      </table>
      <div class="empty" data-empty>Loading clusters…</div>
    </div>`
  const tbody = qs<HTMLTableSectionElement>(main, 'tbody')
  const empty = qs(main, '[data-empty]')
  const summary = qs(main, '[data-summary]')
  const errorBox = qs(main, '[data-error]')
  const search = qs<HTMLInputElement>(main, '[data-search]')

  const scopeButtons = () => {
    main.querySelectorAll<HTMLButtonElement>('[data-scope]').forEach((b) => b.setAttribute('aria-pressed', String((b.dataset.scope === 'all') === st.all)))
  }
  const saveQuery = () => {
    const q = new URLSearchParams()
    if (st.all) q.set('all', '1')
    if (st.status) q.set('status', st.status)
    if (st.q) q.set('q', st.q)
    setQuery(q)
  }

  const render = () => {
    if (!data) return
    const needle = st.q.trim().toLowerCase()
    const shown = data.filter((c) => (!st.status || c.status === st.status) && (!needle || c.name.toLowerCase().includes(needle)))
    patchRows(
      tbody,
      shown.map((c) => ({ key: c.name, html: clusterCells(c) })),
    )
    const counts = STATUSES.map((s) => [s, data!.filter((c) => c.status === s).length] as const).filter(([, n]) => n > 0)
    summary.innerHTML =
      `<b>${plural(data.length, 'cluster')}</b>` + counts.map(([s, n]) => ` · ${n} ${s}`).join('') + (shown.length !== data.length ? ` · ${shown.length} shown` : '')
    empty.hidden = shown.length > 0
    if (!shown.length) {
      empty.innerHTML = data.length
        ? 'No clusters match the filters.'
        : `<h3>No clusters${st.all ? '' : ' of yours'} yet</h3>Launch one with <code>sky launch -c mycluster -- echo hello</code>`
    }
    // For benches and tests: when the list first showed, and how many rows it shows.
    if (!main.dataset.rendered) performance.mark('sky:clusters-rendered', { detail: shown.length })
    main.dataset.rendered = String(shown.length)
  }

  const source = new EtagJson<Cluster[]>()
  const poller = new Poller<Cluster[]>(
    (signal) => source.get(`/api/dashboard/clusters${st.all ? '?all_users=true' : ''}`, signal),
    (d) => {
      data = d
      errorBox.innerHTML = ''
      render()
    },
    (e) => {
      errorBox.innerHTML = `<div class="notice error" role="alert">${esc(errorText(e).title)}</div>`
      if (!data) empty.textContent = 'Could not load clusters.'
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
      empty.textContent = 'Loading clusters…'
      patchRows(tbody, [])
      poller.invalidate()
      poller.refresh()
      return
    }
    const act = t.closest<HTMLElement>('[data-act]')
    if (act) clusterAction(act.dataset.act as ClusterAct, act.dataset.name!, () => poller.refresh())
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
  return () => poller.stop()
}
