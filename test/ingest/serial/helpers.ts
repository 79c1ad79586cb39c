import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type PtyPair, startPtyPair } from '../../../simulator/serial/pty-pair.js'
import { SerialDeviceEnd } from '../../../simulator/serial/serial-device.js'

/** A temp folder for pty links, the socat pairs in it, and the device ends opened on them; one per test. */
export class PtyLab {
  readonly dir = mkdtempSync(join(tmpdir(), 'tidegate-serial-'))
  private readonly pairs: PtyPair[] = []
  private readonly ends: SerialDeviceEnd[] = []

  path(name: string): string {
    return join(this.dir, name)
  }

  /** A pty pair whose gateway end is `path(name)`; returns the pair and the opened device end. */
  async pair(name: string): Promise<{ pair: PtyPair; device: SerialDeviceEnd }> {
    const pair = await startPtyPair(this.path(name))
    this.pairs.push(pair)
    const device = await SerialDeviceEnd.open(pair.devicePath)
    this.ends.push(device)
    return { pair, device }
  }

  /** Stops every socat this lab started (by pid) and removes the folder. */
  async close(): Promise<void> {
    for (const end of this.ends) await end.close().catch(() => {})
    for (const pair of this.pairs) await pair.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** Waits until `check` is true, polling; fails with `what` (read at the timeout, so it can show the state then). */
export async function until(
  check: () => boolean,
  what: string | (() => string),
  timeoutMs = 10_000,
): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${typeof what === 'function' ? what() : what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** A row of an InfluxQL result as an object. */
export function rowObjects(columns: string[], rows: unknown[][]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])))
}
