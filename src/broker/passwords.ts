import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

/**
 * Password hashes for `mqtt.auth.users`: scrypt from node:crypto (built in, maintained, no compiler on a Pi).
 * Format: `$scrypt$N=16384,r=8,p=1$<salt base64>$<hash base64>` — the parameters travel with the hash
 * so they can be raised later without breaking existing entries.
 */

const DEFAULT_PARAMS = { N: 16384, r: 8, p: 1 }
const KEY_LENGTH = 32
const PREFIX = '$scrypt$'

function derive(
  password: string | Buffer,
  salt: Buffer,
  params: typeof DEFAULT_PARAMS,
  length: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem: scrypt needs 128*N*r bytes; allow twice that so raised parameters still work.
    scrypt(password, salt, length, { ...params, maxmem: 256 * params.N * params.r + 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    )
  })
}

export async function hashPassword(password: string, params = DEFAULT_PARAMS): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, params, KEY_LENGTH)
  return `${PREFIX}N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`
}

interface ParsedHash {
  params: typeof DEFAULT_PARAMS
  salt: Buffer
  key: Buffer
}

export function parseHash(hash: string): ParsedHash | null {
  if (!hash.startsWith(PREFIX)) return null
  const [paramText, saltText, keyText] = hash.slice(PREFIX.length).split('$')
  const m = /^N=(\d+),r=(\d+),p=(\d+)$/.exec(paramText ?? '')
  if (!m || !saltText || !keyText) return null
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) }
  // N must be a power of two > 1; bound the cost so a config typo cannot stall the gateway.
  if (
    params.N < 2 ||
    (params.N & (params.N - 1)) !== 0 ||
    params.N > 1 << 20 ||
    params.r > 32 ||
    params.p > 16
  )
    return null
  const key = Buffer.from(keyText, 'base64')
  if (key.length < 16) return null
  return { params, salt: Buffer.from(saltText, 'base64'), key }
}

/** Constant-time check of a password against a stored hash; false for a malformed hash. */
export async function verifyPassword(password: Buffer | string, hash: string): Promise<boolean> {
  const parsed = parseHash(hash)
  if (!parsed) return false
  const key = await derive(password, parsed.salt, parsed.params, parsed.key.length)
  return timingSafeEqual(key, parsed.key)
}
