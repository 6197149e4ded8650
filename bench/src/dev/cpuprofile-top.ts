// Development aid: self and inclusive time per function (and per package) in a .cpuprofile.
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}
const profile = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
// Shares of busy time: idle samples (a process waiting for work) are left out of the total.
const total = profile.nodes
  .filter((node) => node.callFrame.functionName !== '(idle)')
  .reduce((sum, node) => sum + node.hitCount, 0);
const self = new Map<string, number>();
const pkg = new Map<string, number>();
const where = (url: string) => {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (/\/work\/[^/]+\//.test(url))
    return url
      .replace(/.*\/work\/[^/]+\//, '')
      .split('/')
      .slice(0, 2)
      .join('/');
  return url === '' ? '(native/gc/idle)' : url.startsWith('node:') ? 'node:internal' : url;
};
for (const node of profile.nodes) {
  const key = `${node.callFrame.functionName || '(anonymous)'} ${where(node.callFrame.url)}:${node.callFrame.lineNumber}`;
  self.set(key, (self.get(key) ?? 0) + node.hitCount);
  const p =
    node.callFrame.functionName === '(idle)'
      ? '(idle)'
      : node.callFrame.functionName === '(garbage collector)'
        ? '(gc)'
        : where(node.callFrame.url);
  pkg.set(p, (pkg.get(p) ?? 0) + node.hitCount);
}
const top = (map: Map<string, number>, n: number) =>
  [...map]
    .filter(([key]) => !key.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n');
console.log(
  `busy samples: ${total} (shares below are of busy time)\n-- self time by package --\n${top(pkg, 25)}\n-- self time by function --\n${top(self, 30)}`,
);
void byId;
