#!/usr/bin/env node
import { describeUncaught } from '../../src/cli/cli-error.js'
import { runSimulatorCli } from './cli.js'

runSimulatorCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    // `CODE: message` as tidegate prints it (docs/errors.md); the simulator exits 1 on any error.
    process.stderr.write(`${describeUncaught(err).text}\n`)
    process.exitCode = 1
  },
)
