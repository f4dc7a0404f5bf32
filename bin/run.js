#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8'
import { execute } from '@oclif/core'

// A crawl allocates a few short-lived objects per advertised address (millions of them): a
// larger young generation makes those scavenges rarer. Set before the heap grows.
setFlagsFromString('--max-semi-space-size=32')

await execute({ dir: import.meta.url })
