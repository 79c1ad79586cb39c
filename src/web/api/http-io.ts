import type { IncomingMessage, ServerResponse } from 'node:http'

/** Largest JSON body a POST may carry: logins, acknowledgements and command params are small. */
const MAX_BODY_BYTES = 64 * 1024

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(`${JSON.stringify(body)}\n`)
}

/** The request body as a JSON object; HttpError 400/413 otherwise. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk)
  }
  let body: unknown
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
  } catch (err) {
    throw new HttpError(400, `body is not JSON: ${(err as Error).message}`)
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'body must be a JSON object')
  return body as Record<string, unknown>
}

export function stringField(body: Record<string, unknown>, name: string): string {
  const v = body[name]
  if (typeof v !== 'string' || v === '') throw new HttpError(400, `"${name}" must be a non-empty string`)
  return v
}
