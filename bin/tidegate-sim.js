#!/usr/bin/env node
// Runs the compiled simulator (npm run build). From a source checkout without a build it falls back to
// tsx (a dev dependency), so `npx tidegate-sim` works in a fresh clone too.
try {
  await import('../dist/simulator/src/main.js')
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/simulator')) throw err
  const { register } = await import('tsx/esm/api')
  register()
  await import('../simulator/src/main.ts')
}
