import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

// Dependencies run one way: packages/ (shared runtime) ← subgraphs/ and router/ ← app/ ← bench/.
// A subgraph knows no other subgraph, the router knows no subgraph code (only the registry, which
// is data), and nothing in packages/ knows what is built on it. Tests of a layer may start the app.
const root = join(import.meta.dirname, '..', '..');

type Layer = 'packages' | 'subgraph' | 'registry' | 'router' | 'app' | 'bench' | 'web' | 'scripts';

function layerOf(path: string): Layer | undefined {
  if (path === 'subgraphs/registry.ts') return 'registry';
  const top = path.split('/')[0];
  if (top === 'packages') return 'packages';
  if (top === 'subgraphs') return 'subgraph';
  if (top === 'router' || top === 'app' || top === 'bench' || top === 'web' || top === 'scripts') return top;
  return undefined;
}

/** What each layer's source (not its tests) may import, by layer. */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  packages: ['packages'],
  registry: [],
  subgraph: ['packages'],
  router: ['packages', 'registry'],
  app: ['packages', 'registry', 'router', 'subgraph'],
  bench: ['packages', 'registry', 'router', 'app', 'subgraph'],
  web: [],
  scripts: ['packages', 'registry', 'router', 'app', 'subgraph', 'web'],
};

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.tsx'], {
  cwd: root,
  encoding: 'utf8',
})
  .split('\n')
  .filter((file) => file !== '' && !file.includes('__generated__') && existsSync(join(root, file)));

/** Workspace package name → the folder it lives in. */
const workspaces = new Map(
  execFileSync('git', ['ls-files', '*/package.json'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((file) => [JSON.parse(readFileSync(join(root, file), 'utf8')).name as string, dirname(file)]),
);

/** The repository file or folder an import specifier points at, or undefined for outside packages. */
function target(from: string, specifier: string): string | undefined {
  if (specifier.startsWith('.')) return normalize(join(dirname(from), specifier));
  const name = specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
  return workspaces.get(name);
}

const isTest = (file: string) => /(^|\/)test\//.test(file);

/** The imports of `file` (with this source) that its layer may not make. */
function upwardImports(file: string, source: string): string[] {
  const from = layerOf(file);
  if (from === undefined) return [];
  const violations: string[] = [];
  for (const match of source.matchAll(/(?:from\s+|import\s*\(\s*)'([^']+)'/g)) {
    const to = target(file, match[1]!);
    const toLayer = to === undefined ? undefined : layerOf(to);
    if (toLayer === undefined || toLayer === from) {
      // Within a layer: a subgraph's code must still not reach into another subgraph.
      if (from === 'subgraph' && toLayer === 'subgraph' && !isTest(file) && to!.split('/')[1] !== file.split('/')[1])
        violations.push(`${file} imports another subgraph: ${match[1]}`);
      continue;
    }
    // A layer's tests may also start the app's graph (app/testing) around it, with other subgraphs.
    if (isTest(file) && toLayer === 'app') continue;
    if (!MAY_IMPORT[from].includes(toLayer)) violations.push(`${file} (${from}) imports ${match[1]} (${toLayer})`);
  }
  return violations;
}

describe('layering', () => {
  it('has no import that runs upward', () => {
    expect(files.flatMap((file) => upwardImports(file, readFileSync(join(root, file), 'utf8')))).toEqual([]);
  });

  it('catches imports that run upward or sideways', () => {
    const importing = (specifier: string) => `import { x } from '${specifier}';`;
    expect(upwardImports('packages/testing/src/x.ts', importing('@micropost/router'))).toHaveLength(1);
    expect(upwardImports('packages/testing/src/x.ts', importing('../../../app/src/graph.ts'))).toHaveLength(1);
    expect(upwardImports('router/src/x.ts', importing('@micropost/users'))).toHaveLength(1);
    expect(upwardImports('subgraphs/feed/src/x.ts', importing('@micropost/posts'))).toHaveLength(1);
    expect(upwardImports('subgraphs/feed/src/x.ts', importing('@micropost/mongo'))).toEqual([]);
    expect(upwardImports('router/src/x.ts', importing('../../subgraphs/registry.ts'))).toEqual([]);
  });
});
