// Cluster and job actions (stop, start, down, cancel), each confirmed and sent through the same
// REST operations the CLI uses.
import { runAction } from '../lib/actions'
import type { down, start, stop } from '../../api/ops/clusters'
import type { cancel } from '../../api/ops/jobs'
import type { Cluster } from '../../api/wire'
import { call } from '../lib/api'
import { esc } from '../lib/dom'
import { autostopLabel, badge, timeAgo } from '../lib/format'
import { href } from '../lib/router'

export type { Cluster }

export type ClusterAct = 'stop' | 'start' | 'down'

const TEXT: Record<ClusterAct, { title: string; body: string; confirm: string; busy: string; done: string; danger: boolean }> = {
  stop: {
    title: 'Stop cluster {n}?',
    body: 'Its processes end and running jobs are killed; the disk is kept, so Start brings it back. Its other pending requests are cancelled.',
    confirm: 'Stop',
    busy: 'Stopping {n}…',
    done: 'Cluster {n} stopped.',
    danger: true,
  },
  start: {
    title: 'Start cluster {n}?',
    body: 'The cluster is restarted from its kept disk.',
    confirm: 'Start',
    busy: 'Starting {n}…',
    done: 'Cluster {n} is up.',
    danger: false,
  },
  down: {
    title: 'Tear down cluster {n}?',
    body: 'Everything on the cluster, its disk and its job history, is removed. This cannot be undone.',
    confirm: 'Tear down',
    busy: 'Tearing down {n}…',
    done: 'Cluster {n} torn down.',
    danger: true,
  },
}

export function clusterAction(act: ClusterAct, name: string, after: (ok: boolean) => void): void {
  const t = TEXT[act]
  const f = (s: string) => s.replace('{n}', name)
  void runAction({
    title: f(t.title),
    body: t.body,
    confirm: t.confirm,
    danger: t.danger,
    busy: f(t.busy),
    done: f(t.done),
    run: () => call<typeof stop | typeof start | typeof down>(`/${act}`, { cluster_name: name }),
    after,
  })
}

export function cancelJob(cluster: string, jobId: number, after: (ok: boolean) => void): void {
  void runAction({
    title: `Cancel job ${jobId} on ${cluster}?`,
    body: 'Its processes are killed on every node of the cluster.',
    confirm: 'Cancel job',
    danger: true,
    busy: `Cancelling job ${jobId}…`,
    done: (r: number[] | null) => (r?.includes(jobId) ? `Job ${jobId} cancelled.` : `Job ${jobId} was not running; nothing to cancel.`),
    run: () => call<typeof cancel>('/cancel', { cluster_name: cluster, job_ids: [jobId] }),
    after,
  })
}

/** Action buttons that fit a cluster's status. */
export function clusterButtons(c: Pick<Cluster, 'name' | 'status'>, size = 'btn-sm'): string {
  const n = esc(c.name)
  const b = (act: ClusterAct, label: string, cls = '') =>
    `<button type="button" class="btn ${size} ${cls}" data-act="${act}" data-name="${n}" aria-label="${label} ${n}">${label}</button>`
  const out: string[] = []
  if (c.status === 'UP') out.push(b('stop', 'Stop'))
  if (c.status === 'STOPPED') out.push(b('start', 'Start'))
  out.push(b('down', 'Down', 'btn-danger'))
  return out.join('')
}

/** One clusters-table row (also used by the bench to check what renders). */
export function clusterCells(c: Cluster): string {
  return [
    `<td class="name lead"><a href="${href(`/clusters/${encodeURIComponent(c.name)}`)}" data-link>${esc(c.name)}</a></td>`,
    `<td>${esc(c.user_name)}</td>`,
    `<td>${esc(c.infra)}</td>`,
    `<td class="res opt mono" title="${esc(c.resources_str)}">${esc(c.resources_str)}</td>`,
    `<td class="st">${badge(c.status)}</td>`,
    `<td class="opt">${esc(autostopLabel(c))}</td>`,
    `<td>${timeAgo(c.launched_at)}</td>`,
    `<td><div class="actions">${clusterButtons(c)}</div></td>`,
  ].join('')
}
