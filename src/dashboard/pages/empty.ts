// Pages for features this version does not have yet: a clear empty state, not a broken page.
import { esc } from '../lib/dom'
import type { Page } from '../lib/router'

export function emptyPage(title: string, message: string, hint: string): Page {
  return (main) => {
    main.innerHTML = `
      <div class="page-head"><h1>${esc(title)}</h1></div>
      <div class="table-wrap"><div class="empty" role="status"><h3>${esc(message)}</h3>${hint}</div></div>`
    return () => {}
  }
}

export const notFoundPage: Page = (main) => {
  main.innerHTML = `<div class="page-head"><h1>Not found</h1></div><div class="notice">No such page. <a href="/dashboard/clusters" data-link>Go to clusters</a></div>`
  return () => {}
}
