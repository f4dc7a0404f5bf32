// The Debian tools some tests drive, as test/run.js found them (PEERS_TEST_MICROSOCKS,
// PEERS_TEST_CHROMIUM). Missing means the test fails with one line saying what to install:
// a test that needs a tool is never skipped silently.

export type SystemTool = 'microsocks' | 'chromium'

const ENV: Record<SystemTool, string> = { microsocks: 'PEERS_TEST_MICROSOCKS', chromium: 'PEERS_TEST_CHROMIUM' }

/** The tool's path; throws (failing the test) when test/run.js did not find it. */
export function systemTool (tool: SystemTool): string {
  const path = process.env[ENV[tool]]
  if (path === undefined || path === '') {
    throw new Error(`${tool} is not installed: run \`apt-get install -y ${tool}\` (npm test does it when run as root), or set ${ENV[tool]} to its path`)
  }
  return path
}
