import { Writable } from 'node:stream'
import { createLogger, type Logger } from '../../src/observability/logger.js'

/** A logger whose JSON lines the test can read. */
export function capturedLogger(): {
  logger: Logger
  lines: { level: number; msg: string; [k: string]: unknown }[]
} {
  const lines: { level: number; msg: string }[] = []
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line))
      done()
    },
  })
  return { logger: createLogger('info', false, { destination }), lines }
}
