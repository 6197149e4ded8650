import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyFerretDBPatches,
  copyFerretDBSource,
  ferretdbBuildStamp,
  findGo,
  FERRETDB_VERSION,
} from '../src/index.ts';

// The build applies these patches and runs their Go tests (see ferretdb.ts); here: they apply in
// order to the module source, a tree they were already applied to is refused by name, and the
// stamp that decides whether .cache/bin/ferretdb is stale covers them.

const dir = mkdtempSync(join(tmpdir(), 'micropost-ferretdb-patches-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = () => undefined;

describe.runIf(findGo() !== undefined)('FerretDB patches', () => {
  it('apply in order to the module source, once', async () => {
    const src = join(dir, 'src');
    await copyFerretDBSource(findGo()!, src);
    const tested = await applyFerretDBPatches(src, quiet);
    expect(tested).toEqual([
      './internal/backends/postgresql',
      './internal/backends/postgresql/metadata',
      './internal/handler',
    ]);
    expect(readFileSync(join(src, 'internal/backends/postgresql/query.go'), 'utf8')).toContain('Patched (Micropost)');
    await expect(applyFerretDBPatches(src, quiet)).rejects.toThrow(/FerretDB patch 0001-[\w-]+\.patch does not apply/);
  }, 120_000);

  it('are covered by the build stamp', () => {
    expect(ferretdbBuildStamp()).toMatch(new RegExp(`^${FERRETDB_VERSION} [0-9a-f]{64}$`));
  });
});
