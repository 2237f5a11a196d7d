// Confirmation before any action: a modal <dialog> (Esc or Cancel closes it, focus returns).
import { el, esc } from './dom'

export interface ConfirmOptions {
  title: string
  body: string
  confirm: string
  danger?: boolean
}

export function confirmDialog(o: ConfirmOptions): Promise<boolean> {
  const back = document.activeElement as HTMLElement | null
  const d = el<HTMLDialogElement>(`
    <dialog aria-labelledby="dlg-title">
      <form method="dialog">
        <h2 id="dlg-title">${esc(o.title)}</h2>
        <p>${esc(o.body)}</p>
        <div class="actions">
          <button type="submit" class="btn" value="no" data-cancel>Cancel</button>
          <button type="submit" class="btn ${o.danger ? 'btn-danger solid' : 'btn-primary'}" value="yes" data-confirm>${esc(o.confirm)}</button>
        </div>
      </form>
    </dialog>`)
  document.body.append(d)
  return new Promise((resolve) => {
    d.addEventListener('close', () => {
      resolve(d.returnValue === 'yes')
      d.remove()
      back?.focus?.()
    })
    d.showModal()
    ;(d.querySelector(o.danger ? '[data-cancel]' : '[data-confirm]') as HTMLElement).focus()
  })
}

/** A modal with arbitrary form content; resolves with the form data, or null when dismissed. */
export function formDialog(title: string, fieldsHtml: string, submitLabel: string): Promise<FormData | null> {
  const back = document.activeElement as HTMLElement | null
  const d = el<HTMLDialogElement>(`
    <dialog aria-label="${esc(title)}">
      <form method="dialog">
        <h2>${esc(title)}</h2>
        ${fieldsHtml}
        <div class="actions">
          <button type="button" class="btn" data-cancel>Cancel</button>
          <button type="submit" class="btn btn-primary" value="ok">${esc(submitLabel)}</button>
        </div>
      </form>
    </dialog>`)
  document.body.append(d)
  const form = d.querySelector('form')!
  return new Promise((resolve) => {
    let data: FormData | null = null
    form.addEventListener('submit', () => (data = new FormData(form)))
    d.querySelector('[data-cancel]')!.addEventListener('click', () => d.close())
    d.addEventListener('close', () => {
      resolve(data)
      d.remove()
      back?.focus?.()
    })
    d.showModal()
    ;(d.querySelector('input, select, textarea') as HTMLElement | null)?.focus()
  })
}

/** Show a value once (a new token) with a copy button. */
export function showOnce(title: string, note: string, value: string): Promise<void> {
  const d = el<HTMLDialogElement>(`
    <dialog aria-label="${esc(title)}">
      <form method="dialog">
        <h2>${esc(title)}</h2>
        <p>${esc(note)}</p>
        <div class="token-box" data-value>${esc(value)}</div>
        <div class="actions">
          <button type="button" class="btn" data-copy>Copy</button>
          <button type="submit" class="btn btn-primary">Done</button>
        </div>
      </form>
    </dialog>`)
  document.body.append(d)
  d.querySelector('[data-copy]')!.addEventListener('click', (e) => {
    void navigator.clipboard?.writeText(value).then(() => ((e.target as HTMLElement).textContent = 'Copied'))
  })
  return new Promise((resolve) => {
    d.addEventListener('close', () => {
      d.remove()
      resolve()
    })
    d.showModal()
  })
}
