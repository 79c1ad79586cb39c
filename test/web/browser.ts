import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'

/** Debian's chromium; playwright-core is pinned to the release that speaks its protocol (1.64.x, Chromium 156). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Nothing downloaded, nothing phoned home: no first-run, sync, component updates or background traffic. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** One headless chromium with a fresh user-data-dir; close() stops it and removes the folder. */
export async function launchChromium(viewport = { width: 1280, height: 800 }): Promise<{
  context: BrowserContext
  close(): Promise<void>
}> {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-chromium-'))
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  })
  return {
    context,
    async close() {
      await context.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
