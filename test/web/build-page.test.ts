import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { buildPage } from '../../src/web/build-page.js'

/** The budget for everything the page loads, gzipped. */
const BUDGET_BYTES = 200 * 1024

describe('status page bundle', () => {
  it('is one html, one script, one stylesheet; no external URL; within 200 KB gzipped', async () => {
    const files = await buildPage()
    expect([...files.keys()].sort()).toEqual(['app.css', 'app.js', 'index.html'])
    let total = 0
    for (const [name, bytes] of files) {
      total += gzipSync(bytes, { level: 9 }).length
      // Offline boxes: nothing fetched from a CDN (the SVG namespace is an identifier, not a fetch).
      const urls = bytes.toString('utf8').match(/https?:\/\/[^\s"'`)]+/g) ?? []
      expect(
        urls.filter((u) => u !== 'http://www.w3.org/2000/svg'),
        name,
      ).toEqual([])
    }
    expect(total).toBeLessThan(BUDGET_BYTES)
  })
})
