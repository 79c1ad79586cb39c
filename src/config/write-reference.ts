/** `npm run docs:config`: regenerates the key reference in docs/config.md from the config schema. */
import { readFileSync, writeFileSync } from 'node:fs'
import { withReference } from './reference.js'

const file = process.argv[2] ?? 'docs/config.md'
writeFileSync(file, withReference(readFileSync(file, 'utf8')))
process.stdout.write(`${file}: config reference updated\n`)
