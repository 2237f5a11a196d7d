// Client-side routes under /dashboard/: pages mount into <main> and return a function that
// unmounts them (stops polls and streams). Links marked data-link navigate without reloading.

export type Params = Record<string, string>
export type Page = (main: HTMLElement, params: Params, query: URLSearchParams) => () => void

interface Route {
  re: RegExp
  keys: string[]
  nav: string
  page: Page
}

export const BASE = '/dashboard'
const routes: Route[] = []

export function route(pattern: string, nav: string, page: Page): void {
  const keys: string[] = []
  const re = new RegExp('^' + pattern.replace(/:(\w+)/g, (_, k: string) => (keys.push(k), '([^/]+)')) + '/?$')
  routes.push({ re, keys, nav, page })
}

export function match(path: string): { route: Route; params: Params } | undefined {
  const rel = path.startsWith(BASE) ? path.slice(BASE.length) || '/' : path
  for (const r of routes) {
    const m = rel.match(r.re)
    if (m) return { route: r, params: Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1]!)])) }
  }
  return undefined
}

let onChange: () => void = () => {}

export function onRouteChange(fn: () => void): void {
  onChange = fn
  window.addEventListener('popstate', () => onChange())
  document.addEventListener('click', (e) => {
    const a = (e.target as HTMLElement).closest?.('a[data-link]') as HTMLAnchorElement | null
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    navigate(a.getAttribute('href')!)
  })
}

export function navigate(href: string, replace = false): void {
  if (href === location.pathname + location.search) return
  if (replace) history.replaceState(null, '', href)
  else history.pushState(null, '', href)
  onChange()
}

/** Keep page state (filters) in the address without adding history entries. */
export function setQuery(q: URLSearchParams): void {
  const s = q.toString()
  history.replaceState(null, '', location.pathname + (s ? `?${s}` : ''))
}

export function href(path: string): string {
  return BASE + path
}
