import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { buildPage } from './build-page.js'

/**
 * `npm run build` step: writes the bundled page next to the compiled server code
 * (dist/src/web/page/), where page-assets.ts finds it. Usage: tsx src/web/write-page.ts [outDir]
 */
const out = resolve(process.argv[2] ?? 'dist/src/web/page')
mkdirSync(out, { recursive: true })
for (const [name, bytes] of await buildPage()) writeFileSync(join(out, name), bytes)
