import { afterAll, beforeAll } from 'vitest'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { portListening, stopChild } from './child-server.js'
import { freePort } from './free-port.js'

export interface RedisServer {
  port: number
  url: string
  readonly pid: number
  /** Stops it by pid (SIGTERM, then SIGKILL); start() brings it back on the same port (an outage). */
  stop(): Promise<void>
  start(): Promise<void>
  /** Stops it and removes its temp folder. */
  dispose(): Promise<void>
}

const REDIS = '/usr/bin/redis-server'

/**
 * A real Debian redis-server on a free port of 127.0.0.1, without persistence, in a temp folder.
 * Stopped by pid, never by name.
 */
export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-redis-'))
  const port = await freePort()
  let child: ChildProcess | null = null
  let output = ''
  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
    const c = spawn(REDIS, [...args, '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
    child = c
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-4000)
    }
    c.stdout?.on('data', keep)
    c.stderr?.on('data', keep)
    const until = Date.now() + 10_000
    while (!(await portListening(port))) {
      if (c.exitCode !== null || Date.now() > until) throw new Error(`redis-server did not start: ${output}`)
      await new Promise((r) => setTimeout(r, 30))
    }
  }
  const stop = async () => {
    const c = child
    child = null
    await stopChild(c)
  }
  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid ?? -1
    },
    stop,
    start,
    async dispose() {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
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
