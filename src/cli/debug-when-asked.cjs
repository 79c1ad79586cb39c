'use strict'
// What the esbuild bundle gets for `require('debug')` (package.json build:bundle, --alias). mqtt-packet's
// parser calls debug() about ten times per packet; debug's disabled logger still gathers the arguments into
// a rest array first: at 10k msg/s that was ~4 % of the gateway's allocations, plus what V8 inlined into the
// parser. Without DEBUG in the environment (debug's own switch) every logger is one shared no-op; with it,
// the real module, so `DEBUG=mqtt-packet:* tidegate run` still works.
if (process.env.DEBUG) {
  // A relative path: the alias would redirect 'debug/...' back here.
  module.exports = require('../../node_modules/debug/src/node.js')
} else {
  const off = function debugOff() {}
  off.enabled = false
  off.namespace = ''
  off.extend = () => off
  off.log = off
  off.destroy = () => true
  const createDebug = () => off
  createDebug.enable = () => {}
  createDebug.disable = () => ''
  createDebug.enabled = () => false
  createDebug.default = createDebug
  module.exports = createDebug
}
