// Keyed table rows: render thousands of rows with one innerHTML on first paint, then on each
// refresh touch only rows whose markup changed (hover, focus and selection survive).

export interface Row {
  key: string
  html: string
  cls?: string
}

interface Kept {
  tr: HTMLTableRowElement
  html: string
  cls: string
}

const state = new WeakMap<HTMLElement, Map<string, Kept>>()

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')
}

export function patchRows(tbody: HTMLTableSectionElement, rows: Row[]): void {
  const old = state.get(tbody)
  const next = new Map<string, Kept>()
  if (!old || old.size === 0) {
    tbody.innerHTML = rows.map((r) => `<tr data-key="${attr(r.key)}"${r.cls ? ` class="${attr(r.cls)}"` : ''}>${r.html}</tr>`).join('')
    const trs = tbody.children
    rows.forEach((r, i) => next.set(r.key, { tr: trs[i] as HTMLTableRowElement, html: r.html, cls: r.cls ?? '' }))
    state.set(tbody, next)
    return
  }
  for (const r of rows) {
    let k = old.get(r.key)
    if (!k) {
      const tr = document.createElement('tr')
      tr.dataset.key = r.key
      tr.innerHTML = r.html
      k = { tr, html: r.html, cls: '' }
    } else if (k.html !== r.html) {
      k.tr.innerHTML = r.html
      k.html = r.html
    }
    if (k.cls !== (r.cls ?? '')) {
      k.tr.className = r.cls ?? ''
      k.cls = r.cls ?? ''
    }
    old.delete(r.key)
    next.set(r.key, k)
  }
  for (const gone of old.values()) gone.tr.remove()
  // Put rows in order, moving only those out of place.
  let cursor = tbody.firstElementChild
  for (const k of next.values()) {
    if (k.tr !== cursor) tbody.insertBefore(k.tr, cursor)
    else cursor = cursor.nextElementSibling
  }
  state.set(tbody, next)
}
