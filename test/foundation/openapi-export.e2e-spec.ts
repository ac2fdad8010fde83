import * as fs from 'node:fs';
import { OPENAPI_FILE, formatOpenApi } from '../../scripts/export-openapi';
import { TestApp, bootApp } from '../support/app';
import { httpClient } from '../support/http';

/** Top-level paths and operations that differ, so the failure says where the drift is. */
function drift(committed: any, served: any): string[] {
  const out: string[] = [];
  for (const section of ['paths', 'components'] as const) {
    const a = committed?.[section] ?? {};
    const b = served?.[section] ?? {};
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) out.push(`${section}.${key}`);
    }
  }
  for (const key of ['openapi', 'info', 'tags', 'servers', 'security']) {
    if (JSON.stringify(committed?.[key]) !== JSON.stringify(served?.[key])) out.push(key);
  }
  return out;
}

describe('openapi.json (committed) matches the running app', () => {
  let t: TestApp;
  afterAll(() => t?.close());

  it('is byte for byte what /api/docs-json serves, pretty-printed', async () => {
    t = await bootApp();
    const res = await httpClient(t.baseUrl)('GET', '/api/docs-json');
    expect(res.status).toBe(200);
    const expected = formatOpenApi(res.body);
    const committed = fs.existsSync(OPENAPI_FILE) ? fs.readFileSync(OPENAPI_FILE, 'utf8') : '';
    if (committed !== expected) {
      let where: string[] = ['openapi.json is missing or not JSON'];
      try {
        where = drift(JSON.parse(committed), res.body);
      } catch {
        /* keep the default */
      }
      throw new Error(
        `openapi.json is out of date with the API the app serves at /api/docs-json.\n` +
          `Run \`npm run openapi:export\` and commit openapi.json.\n` +
          `Differs at: ${where.slice(0, 20).join(', ') || 'formatting only'}`,
      );
    }
  });
});
