// `peers adapters` lists every adapter in the registry, as a user runs it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { adapters } from '../../adapters/index.js'
import { runCli } from '../helpers/cli.js'

test('peers adapters --json lists every registered adapter and network', async () => {
  const { code, stdout, stderr } = await runCli(['adapters', '--json'])
  assert.equal(code, 0, stderr)
  const out = JSON.parse(stdout) as { adapters: Array<{ name: string, status: string, missing?: string, networks: Array<{ id: string, name: string, defaultPort: number }> }> }
  assert.deepEqual(out.adapters.map((a) => a.name), adapters.map((a) => a.name))
  for (const adapter of adapters) {
    const listed = out.adapters.find((a) => a.name === adapter.name)
    assert.ok(listed !== undefined)
    assert.equal(listed.status, adapter.status)
    assert.deepEqual(listed.networks.map((n) => [n.id, n.name, n.defaultPort]), adapter.networks.map((n) => [n.id, n.name, n.defaultPort]))
    if (adapter.status === 'stub') assert.ok((listed.missing ?? '').length > 0, `${adapter.name}: a stub says what is missing`)
  }
  const avax = out.adapters.find((a) => a.name === 'avax')
  assert.equal(avax?.status, 'stub')
  assert.match(avax?.missing ?? '', /TLS 1\.3 with a staking certificate/)
})

test('peers adapters prints one line per network, the default marked', async () => {
  const { code, stdout, stderr } = await runCli(['adapters'])
  assert.equal(code, 0, stderr)
  const lines = stdout.trim().split('\n')
  assert.match(lines[0], /^ADAPTER\s+STATUS\s+NETWORK\s+ID\s+PORT\s+DESCRIPTION$/)
  for (const adapter of adapters) {
    for (const network of adapter.networks) {
      const mark = network.name === adapter.defaultNetwork ? '\\*' : ''
      const row = new RegExp(`^${adapter.name}\\s+${adapter.status}\\s+${network.name}${mark}\\s+${network.id}\\s+${network.defaultPort}\\s`)
      assert.ok(lines.some((l) => row.test(l)), `no row for ${adapter.name} ${network.id}:\n${stdout}`)
    }
  }
  assert.match(stdout, /avax is a stub: the AVAX transport/)
})
