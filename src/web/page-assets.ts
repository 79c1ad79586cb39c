import { existsSync, readdirSync, readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

interface Asset {
  type: string
  body: Buffer
  gzip: Buffer
  etag: string
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
}

/**
 * The page's files: the bundle `npm run build` wrote next to this module (dist/src/web/page/), or, when
 * running from sources (tsx, tests), a fresh in-memory build of src/web/page/.
 */
export async function loadPageAssets(): Promise<Map<string, Asset>> {
  const dir = fileURLToPath(new URL('./page/', import.meta.url))
  let files: Map<string, Buffer>
  if (existsSync(join(dir, 'app.js'))) {
    files = new Map(
      readdirSync(dir)
        .filter((f) => /\.(html|js|css)$/.test(f))
        .map((f) => [f, readFileSync(join(dir, f))]),
    )
  } else {
    const { buildPage } = await import('./build-page.js')
    files = await buildPage(dir)
  }
  const assets = new Map<string, Asset>()
  for (const [name, body] of files) {
    const ext = name.slice(name.lastIndexOf('.') + 1)
    const gzip = gzipSync(body, { level: 9 })
    assets.set(name, {
      type: TYPES[ext] ?? 'application/octet-stream',
      body,
      gzip,
      etag: `"${body.length}-${gzip.length}"`,
    })
  }
  return assets
}

/** Built once per process, on the first request for the page (a gateway nobody browses never builds it). */
let cached: Promise<Map<string, Asset>> | null = null

/** Serves `/` (index.html), `/app.js`, `/app.css`; gzip when the browser accepts it. */
export function pageHandler(load: () => Promise<Map<string, Asset>> = () => (cached ??= loadPageAssets())) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false
    const path = (req.url ?? '/').split('?')[0] as string
    const name = path === '/' ? 'index.html' : path.slice(1)
    if (!/^(index\.html|app\.js|app\.css)$/.test(name)) return false
    const asset = (await load()).get(name)
    if (!asset) return false
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, { etag: asset.etag })
      res.end()
      return true
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
    const body = gzip ? asset.gzip : asset.body
    res.writeHead(200, {
      'content-type': asset.type,
      'content-length': body.length,
      etag: asset.etag,
      'cache-control': 'no-cache',
      vary: 'accept-encoding',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy':
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    })
    res.end(req.method === 'HEAD' ? undefined : body)
    return true
  }
}
