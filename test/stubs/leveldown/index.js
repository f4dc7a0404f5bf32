// Stand-in for leveldown, which bcoin 1.0.2 pulls in through bdb and whose native build fails
// on Node 20. The tests run bcoin with `memory: true`, which never loads it.
module.exports = function leveldown () {
  throw new Error('leveldown stub: run bcoin with memory: true')
}
