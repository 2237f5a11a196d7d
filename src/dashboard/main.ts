// The dashboard's entry: routes, the session (who is logged in; the login form on a 401),
// keyboard shortcuts, the connection banner and the clock that keeps relative times fresh.
import { getJson, health, setUnauthorizedHandler, type ApiError } from './lib/api'
import { clearCredentials, loadCredentials, localCredentials, saveCredentials } from './lib/auth'
import { byId, qs } from './lib/dom'
import { tickTimes } from './lib/format'
import { loginForm } from './lib/login'
import { setConnectionListener } from './lib/poll'
import { match, navigate, onRouteChange, route } from './lib/router'
import { clusterPage } from './pages/cluster-detail'
import { clustersPage } from './pages/clusters'
import { notFoundPage } from './pages/empty'
import { servicesPage } from './pages/services'
import { jobsPage } from './pages/jobs'
import { infraPage } from './pages/infra'
import { requestsPage } from './pages/requests'
import { usersPage } from './pages/users'

route('/', 'clusters', clustersPage)
route('/clusters', 'clusters', clustersPage)
route('/clusters/:name', 'clusters', clusterPage)
route('/clusters/:name/:job', 'clusters', clusterPage)
route('/jobs', 'jobs', jobsPage)
route('/jobs/:id', 'jobs', jobsPage)
route('/services', 'services', servicesPage)
route('/requests', 'requests', requestsPage)
route('/requests/:id', 'requests', requestsPage)
route('/infra', 'infra', infraPage)
route('/users', 'users', usersPage)

const TITLES: Record<string, string> = { clusters: 'Clusters', jobs: 'Jobs', services: 'Services', requests: 'Requests', infra: 'Infra', users: 'Users' }

const main = byId('main')
let unmount: (() => void) | undefined
let loggingIn = false
let firstRender = true

function render(): void {
  if (loggingIn) return
  unmount?.()
  unmount = undefined
  const m = match(location.pathname)
  const nav = m?.route.nav
  document.querySelectorAll<HTMLElement>('[data-nav]').forEach((a) => {
    if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page')
    else a.removeAttribute('aria-current')
  })
  document.title = `${nav ? TITLES[nav] : 'Not found'} · sky`
  // A fresh element per page, so the listeners a page adds go away with it.
  const root = document.createElement('div')
  root.className = 'page'
  main.replaceChildren(root)
  unmount = (m ? m.route.page : notFoundPage)(root, m?.params ?? {}, new URLSearchParams(location.search))
  if (!firstRender) main.focus({ preventScroll: true })
  firstRender = false
  window.scrollTo(0, 0)
}

function showMe(name: string | undefined, deployed: boolean, role?: string): void {
  byId('me').hidden = !name
  byId('me-name').textContent = name ? (deployed && role ? `${name} · ${role}` : name) : ''
  byId('me-name').title = name ? `${deployed ? 'Logged in' : 'Local API server; you are'} ${name}` : ''
  byId('logout').hidden = !(deployed || loadCredentials()?.kind !== 'local' && loadCredentials())
}

let localServer = false

async function whoAmI(): Promise<void> {
  try {
    const h = await health()
    localServer = h.auth_mode === 'local-token'
    if (localServer && !h.user) return showLogin()
    if (h.deploy && !h.user) return showLogin()
    showMe(h.user?.name, !!h.deploy)
    if (h.deploy) {
      const me = await getJson<{ name: string; role?: string }>('/users/me')
      showMe(me.name, true, me.role)
    }
  } catch {}
}

/** A local server has no login: its owner opens the page with `sky dashboard`. */
function localNotice(): HTMLElement {
  const box = document.createElement('div')
  box.className = 'login'
  const h = document.createElement('h1')
  h.textContent = 'Open the dashboard from your terminal'
  const p = document.createElement('p')
  p.textContent = 'This API server runs on this machine for one Unix user. Run "sky dashboard" as that user: it opens this page with a one-time link.'
  box.append(h, p)
  return box
}

function showLogin(reason?: string): void {
  if (loggingIn) return
  loggingIn = true
  unmount?.()
  unmount = undefined
  byId('app').classList.add('locked')
  document.title = 'Log in · sky'
  if (localServer) {
    main.replaceChildren(localNotice())
    return
  }
  main.replaceChildren(
    loginForm(reason, () => {
      loggingIn = false
      byId('app').classList.remove('locked')
      void whoAmI()
      render()
    }),
  )
  qs<HTMLInputElement>(main, 'input').focus()
}

setUnauthorizedHandler((e: ApiError) => showLogin(loadCredentials() ? e.message : undefined))
setConnectionListener((err) => {
  const b = byId('banner')
  b.hidden = !err
  if (err) {
    b.className = 'banner error'
    b.textContent = 'Cannot reach the API server. Retrying…'
  }
})

byId('logout').addEventListener('click', () => {
  clearCredentials()
  byId('toasts').replaceChildren()
  showMe(undefined, true)
  showLogin()
})

document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement
  const typing = t.closest('input, textarea, select, [contenteditable=true]')
  if (e.key === '/' && !typing && !e.metaKey && !e.ctrlKey && !e.altKey) {
    const s = main.querySelector<HTMLInputElement>('[data-search]')
    if (s) {
      e.preventDefault()
      s.focus()
      s.select()
    }
  } else if (e.key === 'Escape' && typing && t.matches('[data-search]')) {
    ;(t as HTMLInputElement).blur()
  } else if (e.key === 'Escape' && !document.querySelector('dialog[open]')) {
    main.querySelector<HTMLElement>('[data-close]')?.click()
  }
})

setInterval(() => tickTimes(main), 15_000)
// Leaving the page (reload, tab closed): stop its polls and server-side log followers.
window.addEventListener('pagehide', () => {
  unmount?.()
  unmount = undefined
})
window.addEventListener('pageshow', (e) => {
  if (e.persisted) render()
})
/** `sky dashboard` on a local server opens /dashboard/#code=...: trade the code for the token. */
async function redeemCode(): Promise<void> {
  const m = /[#&]code=([0-9a-f]+)/.exec(location.hash)
  if (!m) return
  history.replaceState(null, '', location.pathname + location.search)
  try {
    const r = await fetch('/api/dashboard/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'XMLHttpRequest' },
      body: JSON.stringify({ code: m[1] }),
      credentials: 'omit',
    })
    if (r.ok) saveCredentials(localCredentials(((await r.json()) as { local_token: string }).local_token))
  } catch {}
}

void (async () => {
  await redeemCode()
  localServer = (await health().catch(() => undefined))?.auth_mode === 'local-token'
  onRouteChange(render)
  if (location.pathname === '/dashboard' || location.pathname === '/dashboard/') navigate('/dashboard/clusters' + location.search, true)
  else render()
  void whoAmI()
})()
