// Micro-benchmark of the per-address policy check against ipaddr.js and node:net BlockList:
//   node --import tsx test/bench/ip-policy.ts
import ipaddr from 'ipaddr.js'
import { BlockList } from 'node:net'
import { AddressPolicy } from '../../src/net/policy.js'
import { NON_ROUTABLE, ipv4ToNumber, ipv6ToBigInt } from '../../src/net/ip.js'
const hosts: string[] = []
let s = 12345
const r = () => { s = (s * 1103515245 + 12345) >>> 0; return s }
for (let i = 0; i < 20000; i++) {
  if (i % 4 === 0) hosts.push(`2a01:${(r() & 0xffff).toString(16)}::${(r() & 0xffff).toString(16)}`)
  else hosts.push(`${r() & 255}.${r() & 255}.${r() & 255}.${r() & 255}`)
}
const eps = hosts.map((h) => ({ host: h, port: 8333, type: (h.includes(':') ? 'ipv6' : 'ipv4') as 'ipv4' | 'ipv6' }))
const policy = new AddressPolicy({ deny: ['8.8.8.0/24'] })
const ranges = NON_ROUTABLE.map((x) => ipaddr.parseCIDR(x.cidr))
const bl = new BlockList()
for (const x of NON_ROUTABLE) { const [a, l] = x.cidr.split('/'); bl.addSubnet(a, Number(l), a.includes(':') ? 'ipv6' : 'ipv4') }
function time (name: string, fn: () => number) {
  for (let k = 0; k < 3; k++) fn()
  const t = process.hrtime.bigint(); let n = 0
  for (let k = 0; k < 20; k++) n += fn()
  const ns = Number(process.hrtime.bigint() - t) / (20 * hosts.length)
  console.log(`${name}: ${ns.toFixed(0)} ns/address (${n})`)
}
time('AddressPolicy.classify (ip.ts hand-tuned)', () => { let n = 0; for (const e of eps) if (policy.classify(e, ['ipv4', 'ipv6']).dial) n++; return n })
time('parse only: ipv4ToNumber/ipv6ToBigInt', () => { let n = 0; for (const h of hosts) if ((h.includes(':') ? ipv6ToBigInt(h) : ipv4ToNumber(h)) !== undefined) n++; return n })
time('ipaddr.js parse + match NON_ROUTABLE', () => { let n = 0; for (const h of hosts) { const a = ipaddr.parse(h); if (!ranges.some((rg) => rg[0].kind() === a.kind() && a.match(rg))) n++ } return n })
time('ipaddr.js parse only', () => { let n = 0; for (const h of hosts) if (ipaddr.parse(h)) n++; return n })
time('node:net BlockList.check NON_ROUTABLE', () => { let n = 0; for (const h of hosts) if (!bl.check(h, h.includes(':') ? 'ipv6' : 'ipv4')) n++; return n })
