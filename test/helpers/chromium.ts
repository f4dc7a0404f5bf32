// Headless Chromium for the report tests and the screenshot script: Debian's chromium
// (PEERS_TEST_CHROMIUM, else /usr/bin/chromium) driven by playwright-core, with a fresh
// profile and nothing that phones home. Every request that is not file:// is aborted and
// recorded, so a test can assert the page asked for nothing.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** PEERS_TEST_CHROMIUM (which must then exist: a test set up for a browser fails without one), else /usr/bin/chromium if present. */
export function chromiumPath (): string | undefined {
  const named = process.env.PEERS_TEST_CHROMIUM
  if (named !== undefined && named !== '') return named
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined
}

export interface OfflinePage {
  page: Page
  /** Requests other than file:// that the page attempted (all aborted). */
  blocked: string[]
  /** Console errors and uncaught page errors. */
  errors: string[]
  close (): Promise<void>
}

export async function openOffline (fileUrl: string, viewport = { width: 1400, height: 900 }): Promise<OfflinePage> {
  const executablePath = chromiumPath()
  if (executablePath === undefined || !existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath ?? '/usr/bin/chromium'}: install the chromium package or set PEERS_TEST_CHROMIUM`)
  const profile = mkdtempSync(join(tmpdir(), 'peers-chromium-'))
  let context: BrowserContext | undefined
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath, args: CHROMIUM_FLAGS, headless: true, viewport, offline: true })
    const blocked: string[] = []
    const errors: string[] = []
    await context.route('**/*', async (route) => {
      const url = route.request().url()
      if (url.startsWith('file://')) return await route.continue()
      blocked.push(url)
      await route.abort()
    })
    const page = context.pages()[0] ?? await context.newPage()
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
    page.on('pageerror', (e) => { errors.push(e.message) })
    await page.goto(fileUrl, { waitUntil: 'load' })
    const opened = context
    return { page, blocked, errors, close: async () => { await opened.close(); rmSync(profile, { recursive: true, force: true }) } }
  } catch (err) {
    await context?.close()
    rmSync(profile, { recursive: true, force: true })
    throw err
  }
}
