// Short notices in the corner: progress, success, and the server's own error messages.
import { byId, esc } from './dom'

export type ToastKind = 'info' | 'ok' | 'error'

export interface Toast {
  update(kind: ToastKind, title: string, body?: string): void
  close(): void
}

export function toast(kind: ToastKind, title: string, body?: string, ms?: number): Toast {
  const box = byId('toasts')
  const t = document.createElement('div')
  t.setAttribute('role', kind === 'error' ? 'alert' : 'status')
  let timer: ReturnType<typeof setTimeout> | undefined
  const api: Toast = {
    update(k, ti, b) {
      t.className = `toast ${k}`
      t.innerHTML = `<div class="t-title">${esc(ti)}</div>${b ? `<div class="t-body">${esc(b)}</div>` : ''}`
      clearTimeout(timer)
      const life = ms ?? (k === 'error' ? 12000 : k === 'ok' ? 5000 : 0)
      if (life) timer = setTimeout(api.close, life)
    },
    close() {
      clearTimeout(timer)
      t.remove()
    },
  }
  t.addEventListener('click', api.close)
  api.update(kind, title, body)
  box.append(t)
  return api
}
