import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The page's sources: index.html, main.ts (and what it imports), style.css. */
export const PAGE_SOURCES = fileURLToPath(new URL('./page/', import.meta.url))

/** The built page: file name → bytes (index.html, app.js, app.css). */
export type PageFiles = Map<string, Buffer>

/**
 * Bundles the status page with esbuild (a devDependency: `npm run build` runs it; a gateway started from
 * sources with tsx runs it in memory at start). One minified script, one stylesheet, no CDN.
 */
export async function buildPage(sources = PAGE_SOURCES): Promise<PageFiles> {
  const { build } = await import('esbuild')
  const result = await build({
    entryPoints: { app: join(sources, 'main.ts') },
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    write: false,
    outdir: '/out',
    logLevel: 'silent',
  })
  const files: PageFiles = new Map([['index.html', readFileSync(join(sources, 'index.html'))]])
  for (const f of result.outputFiles) files.set(f.path.slice('/out/'.length), Buffer.from(f.contents))
  return files
}
