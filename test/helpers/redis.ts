import { afterAll, beforeAll } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RestartableServer, startRestartable } from './child-server.js'
import { freePort } from './free-port.js'

export type RedisServer = RestartableServer

const REDIS = '/usr/bin/redis-server'

/**
 * A real Debian redis-server on a free port of 127.0.0.1, without persistence, in a temp folder.
 * Stopped by pid, never by name.
 */
export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-redis-'))
  const port = await freePort()
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  return startRestartable({
    name: 'redis-server',
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    spawnServer: () => spawn(REDIS, [...args, '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] }),
  })
}

/** One redis-server for the tests of a file: started before them, stopped after. */
export function useRedis(): { readonly url: string; readonly server: RedisServer } {
  let server: RedisServer | null = null
  beforeAll(async () => {
    server = await startRedis()
  })
  afterAll(async () => {
    await server?.dispose()
  })
  return {
    get url() {
      if (!server) throw new Error('redis not started')
      return server.url
    },
    get server() {
      if (!server) throw new Error('redis not started')
      return server
    },
  }
}
