#!/usr/bin/env node
// Runs the compiled CLI (npm run build); the source runs directly with `npx tsx src/cli/main.ts`.
import '../dist/src/cli/main.js'
