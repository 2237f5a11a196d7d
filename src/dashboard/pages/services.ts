// Services: the `sky serve status` view (each service with its versions, endpoint and replicas),
// refreshed every few seconds; logs of a replica, the controller or the load balancer, live;
// tear a service or one replica down through POST /serve/down, like the CLI.
import { errorText, runAction } from '../lib/actions'
import type { down, logs, update } from '../../api/ops/serve'
import { formDialog } from '../lib/dialog'
import { toast } from '../lib/toast'
import type { ServeReplica, Service as ServiceWire } from '../../api/wire'
import { call, cancelRequests, EtagJson, streamText, submitOp } from '../lib/api'
import { esc, qs, setHtml } from '../lib/dom'
import { badge, plural, timeAgo } from '../lib/format'
import { LogView } from '../lib/log-view'
import { Poller } from '../lib/poll'
import { patchRows, type Row } from '../lib/rows'
import type { Page } from '../lib/router'
import { shortDuration } from '../../lib/time'

type Service = ServiceWire
type Replica = ServeReplica

const GONE = new Set(['SHUTTING_DOWN', 'FAILED', 'FAILED_INITIAL_DELAY', 'FAILED_PROBING', 'FAILED_PROVISION', 'FAILED_CLEANUP', 'PREEMPTED', 'UNKNOWN'])

function serviceRow(s: Service): Row {
  const live = s.replica_info.filter((r) => !GONE.has(r.status))
  const ready = live.filter((r) => r.status === 'READY').length
  const versions = s.active_versions.length && s.active_versions.join(',') !== String(s.version) ? `${s.version} (serving ${s.active_versions.join(', ')})` : String(s.version)
  const extras = [s.load_balancing_policy, s.auth ? 'bearer auth' : '', s.tls ? 'TLS' : ''].filter(Boolean).join(' · ')
  return {
    key: `s:${s.name}`,
    cls: 'service',
    html: [
      `<td class="lead name" title="${esc(`owner: ${s.user_name}`)}">${esc(s.name)}</td>`,
      `<td class="mono">${esc(versions)}</td>`,
      `<td class="st"${s.failure ? ` title="${esc(s.failure)}"` : ''}>${badge(s.status)}</td>`,
      `<td>${ready}/${live.length}</td>`,
      `<td class="mono"><a href="${esc(s.endpoint)}" target="_blank" rel="noopener">${esc(s.endpoint)}</a></td>`,
      `<td class="opt">${s.uptime === null ? '-' : shortDuration(Date.now() - s.uptime * 1000)}</td>`,
      `<td class="opt">${esc(extras)}</td>`,
      `<td><div class="actions">
        <button type="button" class="btn btn-sm btn-ghost" data-logs="controller" data-svc="${esc(s.name)}">Controller</button>
        <button type="button" class="btn btn-sm btn-ghost" data-logs="load_balancer" data-svc="${esc(s.name)}">LB log</button>
        ${s.status === 'SHUTTING_DOWN' ? '' : `<button type="button" class="btn btn-sm" data-update="${esc(s.name)}" aria-label="Update service ${esc(s.name)}">Update</button>`}
        ${s.status === 'SHUTTING_DOWN' ? '' : `<button type="button" class="btn btn-sm btn-danger" data-down="${esc(s.name)}" aria-label="Tear down service ${esc(s.name)}">Down</button>`}
      </div></td>`,
    ].join(''),
  }
}

function replicaRow(s: Service, r: Replica): Row {
  const live = !GONE.has(r.status)
  return {
    key: `r:${s.name}/${r.replica_id}`,
    cls: 'child',
    html: [
      `<td class="lead mono">↳ replica ${r.replica_id}</td>`,
      `<td class="mono">${r.version}</td>`,
      `<td class="st"${r.failure ? ` title="${esc(r.failure)}"` : ''}>${badge(r.status)}</td>`,
      `<td></td>`,
      `<td class="mono">${esc(r.endpoint ?? '-')}</td>`,
      `<td class="opt">${r.launched_at === null ? '-' : timeAgo(r.launched_at * 1000)}</td>`,
      `<td class="opt">${esc(r.infra ?? '-')}</td>`,
      `<td><div class="actions">
        ${live ? `<button type="button" class="btn btn-sm btn-ghost" data-logs="replica" data-svc="${esc(s.name)}" data-replica="${r.replica_id}">Logs</button>` : ''}
        ${live && r.status !== 'SHUTTING_DOWN' ? `<button type="button" class="btn btn-sm btn-danger" data-terminate="${r.replica_id}" data-svc="${esc(s.name)}" aria-label="Terminate replica ${r.replica_id} of ${esc(s.name)}">Terminate</button>` : ''}
      </div></td>`,
    ].join(''),
  }
}

export const servicesPage: Page = (main) => {
  let data: Service[] | undefined
  main.innerHTML = `
    <div class="page-head"><h1>Services</h1></div>
    <div class="toolbar"><span class="summary" data-summary aria-live="polite"></span></div>
    <div data-error></div>
    <div class="table-wrap">
      <table class="stack" aria-label="Services">
        <thead><tr><th>Name</th><th>Version</th><th>Status</th><th>Replicas</th><th>Endpoint</th><th class="opt">Uptime / launched</th><th class="opt">Policy / infra</th><th><span hidden>Actions</span></th></tr></thead>
        <tbody></tbody>
      </table>
      <div class="empty" data-empty>Loading services…</div>
    </div>
    <div data-log-slot></div>`
  const tbody = qs<HTMLTableSectionElement>(main, 'tbody')
  const empty = qs(main, '[data-empty]')
  const errorBox = qs(main, '[data-error]')

  const render = () => {
    if (!data) return
    patchRows(tbody, data.flatMap((s) => [serviceRow(s), ...s.replica_info.map((r) => replicaRow(s, r))]))
    const replicas = data.reduce((a, s) => a + s.replica_info.filter((r) => r.status === 'READY').length, 0)
    qs(main, '[data-summary]').innerHTML = `<b>${plural(data.length, 'service')}</b> · ${plural(replicas, 'ready replica')}`
    empty.hidden = data.length > 0
    if (!data.length) empty.innerHTML = '<h3>No services yet</h3>Start one with <code>sky serve up -n my-svc service.yaml</code>: replicas of the task behind one endpoint, probed, autoscaled and updated in place.'
    main.dataset.rendered = String(data.length)
  }

  let log: LogView | undefined
  const openLog = (svc: string, target: string, replica?: number) => {
    log?.stop()
    const what = target === 'replica' ? `replica ${replica}` : target === 'controller' ? 'controller log' : 'load balancer log'
    log = new LogView(`Service ${svc} · ${what}`, () => {
      log?.stop()
      qs(main, '[data-log-slot]').replaceChildren()
    })
    qs(main, '[data-log-slot]').replaceChildren(log.root)
    let requestId: string | undefined
    let finished = false
    void log.follow(
      async function* (signal) {
        requestId = await submitOp<typeof logs>('/serve/logs', { service_name: svc, target: target as 'replica' | 'controller' | 'load_balancer', replica_id: replica, follow: true }, signal)
        yield* streamText(`/api/stream?request_id=${encodeURIComponent(requestId)}`, signal)
        finished = true
      },
      () => {
        if (requestId && !finished) void cancelRequests([requestId]).catch(() => {})
      },
    )
  }

  const source = new EtagJson<{ services: Service[] }>()
  const poller = new Poller<{ services: Service[] }>(
    (signal) => source.get('/api/dashboard/services', signal),
    (d) => {
      data = d.services
      errorBox.innerHTML = ''
      render()
    },
    (e) => {
      setHtml(errorBox, `<div class="notice error" role="alert">${esc(errorText(e).title)}</div>`)
      if (!data) empty.textContent = 'Could not load services.'
    },
    2500,
  )

  main.addEventListener('click', (e) => {
    const t = e.target as HTMLElement
    const b = t.closest<HTMLElement>('[data-logs],[data-down],[data-terminate],[data-update]')
    if (!b) return
    const svc = b.dataset.svc ?? b.dataset.down ?? b.dataset.update!
    if (b.dataset.logs) return openLog(svc, b.dataset.logs, b.dataset.replica ? Number(b.dataset.replica) : undefined)
    if (b.dataset.update) return void updateService(svc, () => poller.refresh())
    if (b.dataset.down) {
      void runAction({
        title: `Tear down service ${svc}?`,
        body: 'Every replica and its cluster is torn down and the endpoint stops answering.',
        confirm: 'Tear down',
        danger: true,
        busy: `Tearing down service ${svc}…`,
        done: (r) => (r.removed.includes(svc) ? `Service ${svc} removed.` : `Service ${svc} is shutting down.`),
        run: () => call<typeof down>('/serve/down', { service_names: [svc] }),
        after: () => poller.refresh(),
      })
      return
    }
    const id = Number(b.dataset.terminate)
    void runAction({
      title: `Terminate replica ${id} of ${svc}?`,
      body: 'Its cluster is torn down; the service launches a replacement to keep its replica count.',
      confirm: 'Terminate',
      danger: true,
      busy: `Terminating replica ${id}…`,
      done: `Replica ${id} of ${svc} terminated.`,
      run: () => call<typeof down>('/serve/down', { service_names: [svc], replica_id: id }),
      after: () => poller.refresh(),
    })
  })
  poller.start()
  return () => {
    poller.stop()
    log?.stop()
  }
}

/**
 * `sky serve update` from the page: the new service YAML (pasted; a workdir on the user's machine
 * needs the CLI, which uploads it) and the mode, sent through POST /serve/update like the CLI.
 */
async function updateService(svc: string, after: () => void): Promise<void> {
  const form = await formDialog(
    `Update service ${svc}`,
    `<label class="field">New service YAML<textarea name="task" rows="14" required spellcheck="false" aria-label="New service YAML"></textarea></label>
     <label class="field">Mode<select name="mode" aria-label="Update mode"><option value="rolling">rolling</option><option value="blue_green">blue_green</option></select></label>`,
    'Update',
  )
  const task = String(form?.get('task') ?? '').trim()
  if (!form || !task) return
  const mode = form.get('mode') === 'blue_green' ? 'blue_green' : 'rolling'
  const t = toast('info', `Updating service ${svc}…`)
  try {
    const r = await call<typeof update>('/serve/update', { task, service_name: svc, mode })
    t.update('ok', `Service ${svc} is updating to version ${r.version} (${mode}).`)
  } catch (e) {
    const { title, body } = errorText(e)
    t.update('error', title, body)
  } finally {
    after()
  }
}
