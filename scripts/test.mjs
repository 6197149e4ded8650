// `npm test`: installs what is missing, typechecks every workspace, then runs vitest (extra CLI
// arguments go to vitest, e.g. `npm test -- packages/testing`). Plain Node: it runs before npm ci.
import { buildWebIfStale } from './build-web.mjs';
import { ensureDeps, run } from './ensure-deps.mjs';

function step(label, command, args, env) {
  console.log(`• ${label}`);
  const status = run(command, args, env);
  if (status !== 0) {
    console.error(`✗ ${label} failed (exit ${status})`);
    process.exit(status);
  }
}

ensureDeps();
step('format and lint (biome; `npm run format` fixes formatting)', 'npx', ['biome', 'ci', '.']);
step('services: FerretDB built, RabbitMQ installed', 'npx', ['tsx', 'scripts/prepare-services.ts']);

step('typecheck every workspace (turbo)', 'npx', ['turbo', 'run', 'typecheck'], { TURBO_TELEMETRY_DISABLED: '1' });
step('typecheck the root scripts', 'npx', ['tsc', '-p', '.']);
// The browser test (app/test/web-client.test.ts) opens the built client as the routers serve it.
buildWebIfStale();

console.log('• tests (vitest)');
process.exit(run('npx', ['vitest', 'run', ...process.argv.slice(2)]));
