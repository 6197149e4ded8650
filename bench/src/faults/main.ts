// `npm run faults`: the fault suite (full profile, or `-- --profile small`), then bench/results/faults.json and faults.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { say } from '../progress.ts';
import { FAULTS, FAULT_PROFILES, type FaultName } from './config.ts';
import { faultsMarkdown } from './report.ts';
import { runFaults } from './run.ts';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'full' },
    only: { type: 'string' },
    out: { type: 'string', default: join(import.meta.dirname, '..', '..', 'results') },
    name: { type: 'string', default: 'faults' },
  },
});
const profile = FAULT_PROFILES[values.profile as keyof typeof FAULT_PROFILES];
if (!profile) throw new Error(`unknown profile ${values.profile}; one of ${Object.keys(FAULT_PROFILES).join(', ')}`);
const only = values.only?.split(',').map((name) => name.trim()) as FaultName[] | undefined;
for (const name of only ?? [])
  if (!FAULTS.includes(name)) throw new Error(`unknown fault ${name}; one of ${FAULTS.join(', ')}`);

const result = await runFaults({ config: { ...profile, ...(only ? { faults: only } : {}) } });
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, `${values.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(values.out, `${values.name}.md`), faultsMarkdown(result));
say(`wrote ${join(values.out, `${values.name}.json`)} and ${values.name}.md`);
process.exit(Object.keys(result.failures).length > 0 ? 1 : 0);
