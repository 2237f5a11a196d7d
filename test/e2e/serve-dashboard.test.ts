// The dashboard's Services page in headless Chromium against the compiled binary: a service
// started from the CLI is listed with its version, endpoint and replicas; a replica's log and the
// controller log stream; a replica terminated from the page is replaced; the service torn down
// from the page is gone for the CLI too. Screenshots go to test-artifacts/dashboard/.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import type { Page } from 'playwright-core'
import type { TempHome } from '../harness'
import { confirmDialog, dashboardSession, screenshot, type DashboardSession } from '../harness/browser'
import { killLeftovers, readyCount, serveStatus, serviceYaml, waitService } from '../harness/serve'

let s: DashboardSession
let h: TempHome
let page: Page
let errors: string[]

beforeAll(async () => {
  s = await dashboardSession()
  ;({ h, page, errors } = s)
})
afterAll(async () => {
  await s?.close()
  await h.sky(['serve', 'down', '-a', '-y'], { timeoutMs: 60_000 })
  killLeftovers(h)
  await h.cleanup()
})

const confirm = (label: string) => confirmDialog(page, label)

describe('Services page', () => {
  test('lists a service with its replicas, streams logs, terminates a replica and tears the service down', async () => {
    const url = (await h.sky(['dashboard', '--no-open'])).stdout.trim()
    const code = /#code=([0-9a-f]+)$/.exec(url)?.[1]
    await page.goto(code ? `${h.endpoint}/dashboard/services#code=${code}` : `${h.endpoint}/dashboard/services`)
    await page.locator('.empty h3:has-text("No services yet")').waitFor()
    expect((await h.sky(['serve', 'up', '-n', 'web', '-y', serviceYaml(h, 'web.yaml')])).code).toBe(0)
    const s = await waitService(h, 'web', (x) => readyCount(x, 2))
    const svcRow = page.locator('tr[data-key="s:web"]')
    await svcRow.locator('.badge.st-ready').waitFor()
    await page.locator('tr[data-key="r:web/2"] .badge.st-ready').waitFor()
    expect(await svcRow.innerText()).toContain(s.endpoint)
    expect(await svcRow.innerText()).toContain('2/2')
    expect(await page.locator('[data-summary]').innerText()).toContain('1 service · 2 ready replicas')
    await screenshot(page, 'services')

    // A replica's output, then the controller log.
    await page.locator('tr[data-key="r:web/1"] [data-logs="replica"]').click()
    await page.waitForFunction(() => (document.querySelector('[data-log]')?.textContent ?? '').includes('listening 8080'))
    await svcRow.locator('[data-logs="controller"]').click()
    await page.waitForFunction(() => (document.querySelector('[data-log]')?.textContent ?? '').includes('Replica 1: STARTING → READY.'))

    // Terminate replica 1 from the page: it goes, replica 3 takes its place.
    await page.locator('[data-terminate="1"][data-svc="web"]').click()
    await confirm('Terminate replica 1 of web?')
    await page.locator('.toast.ok:has-text("Replica 1 of web terminated.")').waitFor({ timeout: 60_000 })
    await page.locator('tr[data-key="r:web/3"] .badge.st-ready').waitFor({ timeout: 60_000 })
    await page.locator('tr[data-key="r:web/1"]').waitFor({ state: 'detached' })

    // Update from the page (rolling): version 2 serves, as the CLI sees it.
    const v2 = readFileSync(serviceYaml(h, 'web-v2.yaml', { label: 'v2' }), 'utf8')
    await svcRow.locator('[data-update="web"]').click()
    await page.locator('dialog[open] textarea[name="task"]').fill(v2)
    await page.locator('dialog[open] select[name="mode"]').selectOption('rolling')
    await page.locator('dialog[open] button[value="ok"]').click()
    await page.locator('.toast.ok:has-text("Service web is updating to version 2 (rolling).")').waitFor({ timeout: 60_000 })
    const updated = await waitService(h, 'web', (x) => x.active_versions.join(',') === '2' && readyCount(x, 2), 120_000)
    expect(updated.version).toBe(2)
    await svcRow.locator('td.mono:has-text("2")').first().waitFor()

    // Down from the page; the CLI agrees.
    await svcRow.locator('[data-down="web"]').click()
    await confirm('Tear down service web?')
    await page.locator('.toast.ok:has-text("Service web removed.")').waitFor({ timeout: 60_000 })
    await page.locator('.empty h3:has-text("No services yet")').waitFor()
    expect(await serveStatus(h)).toEqual([])
    expect(errors).toEqual([])
  }, 150_000)
})
