// Infra: what `sky check` enables, this machine's and each SSH node pool's use (clusters, CPUs,
// GPUs free of total), and the accelerators the enabled infra offer.
import { errorText } from '../lib/actions'
import { call } from '../lib/api'
import { esc, qs, setHtml } from '../lib/dom'
import { badge, plural } from '../lib/format'
import { Poller } from '../lib/poll'
import type { Page } from '../lib/router'
import type { Cluster } from './cluster-actions'

interface InfraCheck {
  infra: string
  enabled: boolean
  reason: string
  regions?: string[]
}

interface LiveGpuRow {
  infra: 'local' | 'ssh' | 'kubernetes'
  region: string
  gpu: string
  requestable: number[]
  free: number
  total: number
  nodes: { name: string; free: number; total: number }[]
}

interface GpuList {
  common: { name: string; quantities: number[]; infra: string[] }[]
  other: { name: string; quantities: number[]; infra: string[] }[]
  live: LiveGpuRow[]
}

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

function usage(clusters: Cluster[]): string {
  const live = clusters.filter((c) => c.status !== 'STOPPED')
  let cpus = 0
  let mem = 0
  for (const c of live) {
    const cap = (c.resources as { capacity?: { cpus?: number; memoryGb?: number } }).capacity
    cpus += (cap?.cpus ?? 0) * c.numNodes
    mem += (cap?.memoryGb ?? 0) * c.numNodes
  }
  const up = clusters.filter((c) => c.status === 'UP').length
  return `<p>${plural(clusters.length, 'cluster')}${clusters.length ? ` (${up} UP)` : ''}${live.length ? ` · ${+cpus.toFixed(1)} CPUs, ${Math.round(mem)} GB memory allocated` : ''}</p>`
}

function gpuBlock(rows: LiveGpuRow[], perNode: boolean): string {
  if (!rows.length) return '<p>No GPUs detected.</p>'
  return rows
    .map((l) => {
      const head = `<p><b>${esc(l.gpu)}</b>: ${l.free} of ${l.total} free</p>${meter(l.total - l.free, l.total)}`
      if (!perNode) return head
      return head + `<div class="chips">${l.nodes.map((n) => `<span class="chip" title="${esc(n.name)}">${esc(n.name)}: ${n.free}/${n.total} free</span>`).join('')}</div>`
    })
    .join('')
}

function render(s: Snapshot): string {
  const check = (name: string) => s.checks.find((c) => c.infra === name)
  const live = s.gpus?.live ?? []
  const out: string[] = []

  out.push('<h2>Enabled infra</h2><div class="cards">')
  for (const c of s.checks) {
    out.push(`<div class="card"><h3>${esc(NAMES[c.infra] ?? c.infra)} ${badge(c.enabled ? 'ENABLED' : 'DISABLED')}</h3><p>${esc(c.reason)}</p>${
      c.regions?.length && c.infra !== 'local' ? `<div class="chips">${c.regions.map((r) => `<span class="chip">${esc(r)}</span>`).join('')}</div>` : ''
    }</div>`)
  }
  out.push('</div>')

  const local = s.clusters.filter((c) => c.infra.cloud === 'local')
  out.push('<h2>This machine</h2><div class="cards">')
  out.push(`<div class="card"><h3>Local</h3>${usage(local)}${gpuBlock(live.filter((l) => l.infra === 'local'), false)}</div>`)
  out.push('</div>')

  const ssh = check('ssh')
  out.push('<h2>SSH node pools</h2>')
  if (!ssh?.enabled || !ssh.regions?.length) {
    out.push(`<div class="notice">${esc(ssh?.reason ?? 'No SSH node pools.')} List machines in <code>~/.sky/ssh_node_pools.yaml</code>, then run <code>sky check ssh</code>.</div>`)
  } else {
    out.push('<div class="cards">')
    for (const pool of ssh.regions) {
      const mine = s.clusters.filter((c) => c.infra.cloud === 'ssh' && c.infra.region === pool)
      out.push(`<div class="card"><h3>${esc(pool)}</h3>${usage(mine)}${gpuBlock(live.filter((l) => l.infra === 'ssh' && l.region === pool), true)}</div>`)
    }
    out.push('</div>')
  }

  const k8s = live.filter((l) => l.infra === 'kubernetes')
  if (k8s.length) {
    out.push('<h2>Kubernetes</h2><div class="cards">')
    for (const ctx of new Set(k8s.map((l) => l.region))) out.push(`<div class="card"><h3>${esc(ctx)}</h3>${gpuBlock(k8s.filter((l) => l.region === ctx), true)}</div>`)
    out.push('</div>')
  }

  out.push('<h2>Accelerators</h2>')
  if (s.gpuError) out.push(`<div class="notice error">${esc(s.gpuError)}</div>`)
  const all = [...(s.gpus?.common ?? []), ...(s.gpus?.other ?? [])]
  if (!all.length && !s.gpuError) out.push('<div class="notice">The enabled infra offer no GPUs.</div>')
  if (all.length) {
    out.push(
      '<div class="table-wrap"><table aria-label="Accelerators"><thead><tr><th>GPU</th><th>Quantities</th><th>Infra</th></tr></thead><tbody>' +
        all.map((g) => `<tr><td><b>${esc(g.name)}</b></td><td>${esc(g.quantities.join(', '))}</td><td>${esc(g.infra.join(', '))}</td></tr>`).join('') +
        '</tbody></table></div>',
    )
  }
  return out.join('')
}

export const infraPage: Page = (main) => {
  main.innerHTML = `
    <div class="page-head"><h1>Infra</h1><span class="sub">from <code>sky check</code></span><span class="spacer"></span>
      <button type="button" class="btn" data-refresh>Refresh</button></div>
    <div data-error></div>
    <div data-body><p class="muted">Checking infra…</p></div>`
  const body = qs(main, '[data-body]')
  const poller = new Poller<Snapshot>(
    async (signal) => {
      const [checks, clusters] = await Promise.all([
        call<InfraCheck[]>('/check', {}, signal),
        call<Cluster[]>('/status', { all_users: true }, signal).then((l) => l.map((c) => ({ ...c, handle: undefined }))),
      ])
      let gpus: GpuList | null = null
      let gpuError: string | null = null
      try {
        gpus = await call<{ list: GpuList }>('/list_accelerators', {}, signal).then((r) => r.list)
      } catch (e) {
        if ((e as Error).name === 'AbortError') throw e
        gpuError = errorText(e).title
      }
      return { checks, clusters, gpus, gpuError }
    },
    (s) => {
      setHtml(qs(main, '[data-error]'), '')
      setHtml(body, render(s))
    },
    (e) => setHtml(qs(main, '[data-error]'), `<div class="notice error" role="alert">${esc(errorText(e).title)}</div>`),
    15000,
  )
  qs(main, '[data-refresh]').addEventListener('click', () => poller.refresh())
  poller.start()
  return () => poller.stop()
}
