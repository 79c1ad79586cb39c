export interface SessionInfo {
  user: string
  role: string
  via: string
  canAct: boolean
  csrf: string | null
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

let csrf: string | null = null

export function setCsrf(token: string | null): void {
  csrf = token
}

/** JSON from /api/...; POSTs carry the session's CSRF token. Errors carry the server's message. */
export async function api<T>(path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'x-tidegate-page': '1' }
  const init: RequestInit = { headers, credentials: 'same-origin' }
  if (body !== undefined) {
    init.method = 'POST'
    headers['content-type'] = 'application/json'
    if (csrf) headers['x-csrf-token'] = csrf
    init.body = JSON.stringify(body)
  }
  const res = await fetch(`/api/${path}`, init)
  const data = (await res.json().catch(() => ({}))) as T & { error?: string; reason?: string }
  if (!res.ok) throw new ApiError(res.status, data.error ?? data.reason ?? `HTTP ${res.status}`)
  return data
}
