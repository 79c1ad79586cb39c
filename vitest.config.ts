import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts', 'simulator/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // 2 cores: a few workers keep integration tests (influxd, brokers) from starving each other.
    maxWorkers: 2,
    pool: 'forks',
  },
})
