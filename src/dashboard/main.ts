// The dashboard's entry: routes, the session (who is logged in; the login form on a 401),
// keyboard shortcuts, the connection banner and the clock that keeps relative times fresh.
import { getJson, health, setUnauthorizedHandler, type ApiError } from './lib/api'
import { clearCredentials, loadCredentials } from './lib/auth'
import { byId, qs } from './lib/dom'
import { tickTimes } from './lib/format'
import { loginForm } from './lib/login'
import { setConnectionListener } from './lib/poll'
import { match, navigate, onRouteChange, route } from './lib/router'
import { clusterPage } from './pages/cluster-detail'
import { clustersPage } from './pages/clusters'
import { jobsPage, notFoundPage, servicesPage } from './pages/empty'
import { infraPage } from './pages/infra'
import { requestsPage } from './pages/requests'
import { usersPage } from './pages/users'

route('/', 'clusters', clustersPage)
route('/clusters', 'clusters', clustersPage)
route('/clusters/:name', 'clusters', clusterPage)
route('/clusters/:name/:job', 'clusters', clusterPage)
route('/jobs', 'jobs', jobsPage)
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
  byId('logout').hidden = !(deployed || loadCredentials())
}

async function whoAmI(): Promise<void> {
  try {
    const h = await health()
    if (h.deploy && !h.user) return showLogin()
    showMe(h.user?.name, !!h.deploy)
    if (h.deploy) {
      const me = await getJson<{ name: string; role?: string }>('/users/me')
      showMe(me.name, true, me.role)
    }
  } catch {}
}

function showLogin(reason?: string): void {
  if (loggingIn) return
  loggingIn = true
  unmount?.()
  unmount = undefined
  byId('app').classList.add('locked')
  document.title = 'Log in · sky'
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
onRouteChange(render)
if (location.pathname === '/dashboard' || location.pathname === '/dashboard/') navigate('/dashboard/clusters' + location.search, true)
else render()
void whoAmI()
