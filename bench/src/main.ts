// `npm run bench`: the full profile (or `-- --profile smoke`, `-- --only feed,gateways`), then
// bench/results/latest.json and latest.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROFILES } from './config.ts';
import { say } from './progress.ts';
import { markdown } from './report.ts';
import { SCENARIOS, runBench, type ScenarioName } from './run.ts';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'full' },
    only: { type: 'string' },
    out: { type: 'string', default: join(import.meta.dirname, '..', 'results') },
    name: { type: 'string', default: 'latest' },
    'server-node-args': { type: 'string' },
  },
});
const config = PROFILES[values.profile as keyof typeof PROFILES];
if (!config) throw new Error(`unknown profile ${values.profile}; one of ${Object.keys(PROFILES).join(', ')}`);
const only = values.only?.split(',').map((name) => name.trim()) as ScenarioName[] | undefined;
for (const name of only ?? [])
  if (!SCENARIOS.includes(name)) throw new Error(`unknown scenario ${name}; one of ${SCENARIOS.join(', ')}`);

const result = await runBench({
  config,
  ...(only ? { only } : {}),
  ...(values['server-node-args'] ? { serverNodeArgs: values['server-node-args'].split(' ') } : {}),
});
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, `${values.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(values.out, `${values.name}.md`), markdown(result));
say(`wrote ${join(values.out, `${values.name}.json`)} and ${values.name}.md`);
process.exit(Object.keys(result.failures).length > 0 ? 1 : 0);
