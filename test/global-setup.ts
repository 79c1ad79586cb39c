import type { TestProject } from 'vitest/node'
import { type InfluxdHandle, startInfluxd } from './helpers/influxd.js'

let influxd: InfluxdHandle | undefined

/** One throwaway influxd for the whole run; tests isolate themselves by database name. */
export async function setup(project: TestProject): Promise<void> {
  influxd = await startInfluxd()
  project.provide('influxUrl', influxd.url)
}

export async function teardown(): Promise<void> {
  await influxd?.stop()
}

declare module 'vitest' {
  export interface ProvidedContext {
    influxUrl: string
  }
}
