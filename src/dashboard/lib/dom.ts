// Small DOM helpers: HTML escaping, element lookup, and building elements from markup.

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escape any value for use in HTML text or a quoted attribute. */
export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ESC[c]!)
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T
}

/** One element from markup (the first element of it). */
export function el<T extends HTMLElement = HTMLElement>(html: string): T {
  const t = document.createElement('template')
  t.innerHTML = html.trim()
  return t.content.firstElementChild as T
}

/** Replace an element's content with markup only when it differs from what was last set. */
export function setHtml(target: HTMLElement, html: string): void {
  if ((target as { _html?: string })._html === html) return
  ;(target as { _html?: string })._html = html
  target.innerHTML = html
}

export function qs<T extends Element = HTMLElement>(root: ParentNode, sel: string): T {
  return root.querySelector(sel) as T
}
