// Infra: what `sky check` enables and why the rest is not; for this machine, each SSH node pool
// and each Kubernetes context, the clusters on it, its nodes and their GPUs (free of total); and
// the accelerators the enabled infra offer.
import { errorText } from '../lib/actions'
import type { listAccelerators } from '../../api/ops/catalog'
import type { dashboardClusters } from '../../api/ops/dashboard'
import type { check } from '../../api/ops/infra'
import type { GpuList, InfraCheck, NodeCapacity } from '../../api/wire'
import { call, getEndpoint } from '../lib/api'
import { esc, qs, setHtml } from '../lib/dom'
import { badge, plural } from '../lib/format'
import { Poller } from '../lib/poll'
import { href, type Page } from '../lib/router'
import type { Cluster } from './cluster-actions'

type LiveGpuRow = GpuList['live'][number]

interface Snapshot {
  checks: InfraCheck[]
  gpus: GpuList | null
  gpuError: string | null
  clusters: Cluster[]
}

const NAMES: Record<string, string> = { local: 'Local (this machine)', ssh: 'SSH node pools', kubernetes: 'Kubernetes', aws: 'AWS', gcp: 'GCP' }

function meter(used: number, total: number): string {
  const pct = total > 0 ? Math.min(100, Math.round((used / total) * 100)) : 0
  return `<div class="meter" role="img" aria-label="${pct}% in use"><i class="w-${Math.round(pct / 5) * 5}"></i></div>`
}

/** Clusters on one infra (or pool): counts by status and links to each. */
function clusterList(clusters: Cluster[]): string {
  if (!clusters.length) return '<p>No clusters.</p>'
  const up = clusters.filter((c) => c.status === 'UP').length
  const links = clusters
    .slice(0, 12)
    .map((c) => `<a class="chip" href="${href(`/clusters/${encodeURIComponent(c.name)}`)}" data-link title="${esc(c.status)} · ${esc(c.user_name)}">${esc(c.name)} <span class="dot st-${esc(c.status.toLowerCase())}"></span></a>`)
    .join('')
  const more = clusters.length > 12 ? `<span class="chip muted">+${clusters.length - 12} more</span>` : ''
  return `<p>${plural(clusters.length, 'cluster')}, ${up} UP</p><div class="chips">${links}${more}</div>`
}

/** This machine's size: from `sky check`, else as its clusters were given it (the whole machine). */
function localSize(checked: NodeCapacity | undefined, clusters: Cluster[], gpus: LiveGpuRow[]): string {
  const fromCluster = clusters.find((c) => c.cpus)
  const cap = checked?.cpus ? { cpus: checked.cpus, memory: checked.memory_gb } : fromCluster ? { cpus: fromCluster.cpus, memory: fromCluster.memory } : undefined
  const parts: string[] = []
  if (cap?.cpus) parts.push(`${+cap.cpus.toFixed(1)} CPUs`)
  if (cap?.memory) parts.push(`${Math.round(cap.memory)} GB memory`)
  for (const g of gpus) parts.push(`${g.total}× ${esc(g.gpu)}`)
  return parts.length ? `<p>${parts.join(' · ')}</p>` : ''
}

function gpuBlock(rows: LiveGpuRow[], perNode: boolean): string {
  if (!rows.length) return '<p class="muted">No GPUs.</p>'
  return rows
    .map((l) => {
      const head = `<p><b>${esc(l.gpu)}</b>: ${l.free} of ${l.total} free</p>${meter(l.total - l.free, l.total)}`
      if (!perNode) return head
      return head + `<div class="chips">${l.nodes.map((n) => `<span class="chip" title="node ${esc(n.name)}">${esc(n.name)}: ${n.free}/${n.total} free</span>`).join('')}</div>`
    })
    .join('')
}

function card(title: string, inner: string): string {
  return `<div class="card"><h3>${esc(title)}</h3>${inner}</div>`
}

function render(s: Snapshot): string {
  const check = (name: string) => s.checks.find((c) => c.infra === name)
  const live = s.gpus?.live ?? []
  const on = (cloud: string, region?: string) => s.clusters.filter((c) => c.cloud === cloud && (region === undefined || c.region === region))
  const out: string[] = []

  const enabled = s.checks.filter((c) => c.enabled).length
  out.push(`<h2>Infra <span class="muted">${enabled} of ${s.checks.length} enabled</span></h2><div class="cards">`)
  for (const c of s.checks) {
    const regions = c.regions?.length && c.infra !== 'local' ? `<div class="chips">${c.regions.map((r) => `<span class="chip">${esc(r)}</span>`).join('')}</div>` : ''
    out.push(`<div class="card${c.enabled ? '' : ' off'}"><h3>${esc(NAMES[c.infra] ?? c.infra)} ${badge(c.enabled ? 'ENABLED' : 'DISABLED')}</h3><p>${esc(c.reason)}</p>${regions}</div>`)
  }
  out.push('</div>')

  const local = on('local')
  const localGpus = live.filter((l) => l.infra === 'local')
  out.push('<h2>This machine</h2><div class="cards">')
  out.push(card('Local', localSize(check('local')?.capacity, local, localGpus) + clusterList(local) + gpuBlock(localGpus, false)))
  out.push('</div>')

  const ssh = check('ssh')
  if (ssh?.enabled && ssh.regions?.length) {
    out.push('<h2>SSH node pools</h2><div class="cards">')
    for (const pool of ssh.regions) out.push(card(pool, clusterList(on('ssh', pool)) + gpuBlock(live.filter((l) => l.infra === 'ssh' && l.region === pool), true)))
    out.push('</div>')
  }

  const k8s = check('kubernetes')
  const contexts = new Set([...(k8s?.enabled ? (k8s.regions ?? []) : []), ...live.filter((l) => l.infra === 'kubernetes').map((l) => l.region)])
  if (contexts.size) {
    out.push('<h2>Kubernetes</h2><div class="cards">')
    for (const ctx of contexts) out.push(card(ctx, clusterList(on('kubernetes', ctx)) + gpuBlock(live.filter((l) => l.infra === 'kubernetes' && l.region === ctx), true)))
    out.push('</div>')
  }

  const cloudClusters = s.clusters.filter((c) => c.cloud === 'aws' || c.cloud === 'gcp')
  if (cloudClusters.length) out.push(`<h2>Clouds</h2><div class="cards">${card('AWS and GCP', clusterList(cloudClusters))}</div>`)

  out.push('<h2>Accelerators</h2>')
  if (s.gpuError) out.push(`<div class="notice error">${esc(s.gpuError)}</div>`)
  const all = [...(s.gpus?.common ?? []), ...(s.gpus?.other ?? [])]
  if (!all.length && !s.gpuError) out.push('<div class="notice">The enabled infra offer no GPUs. See <code>sky gpus list</code>.</div>')
  if (all.length) {
    out.push(
      '<div class="table-wrap"><table aria-label="Accelerators"><thead><tr><th>GPU</th><th>Counts per node</th><th>Infra</th></tr></thead><tbody>' +
        all.map((g) => `<tr><td><b>${esc(g.name)}</b></td><td>${esc(g.quantities.join(', '))}</td><td>${esc(g.infra.join(', '))}</td></tr>`).join('') +
        '</tbody></table></div>',
    )
  }
  return out.join('')
}

export const infraPage: Page = (main) => {
  main.innerHTML = `
    <div class="page-head"><h1>Infra</h1><span class="sub">as <code>sky check</code> sees it</span><span class="spacer"></span>
      <button type="button" class="btn" data-refresh>Check again</button></div>
    <div data-error></div>
    <div data-body><p class="muted">Checking infra…</p></div>`
  const body = qs(main, '[data-body]')
  const poller = new Poller<Snapshot>(
    async (signal) => {
      const [checks, clusters] = await Promise.all([call<typeof check>('/check', {}, signal), getEndpoint<typeof dashboardClusters>('/api/dashboard/clusters', { all_users: true }, signal)])
      let gpus: GpuList | null = null
      let gpuError: string | null = null
      try {
        gpus = await call<typeof listAccelerators>('/list_accelerators', {}, signal).then((r) => r.list)
      } catch (e) {
        if ((e as Error).name === 'AbortError') throw e
        gpuError = errorText(e).title
      }
      return { checks, clusters, gpus, gpuError }
    },
    (s) => {
      setHtml(qs(main, '[data-error]'), '')
      setHtml(body, render(s))
      main.dataset.rendered = String(s.checks.length)
    },
    (e) => setHtml(qs(main, '[data-error]'), `<div class="notice error" role="alert">${esc(errorText(e).title)}</div>`),
    30000,
  )
  qs(main, '[data-refresh]').addEventListener('click', () => poller.refresh())
  poller.start()
  return () => poller.stop()
}
