// npm run replay -- <projection> [--from <time>] [--idle-ms <ms>]: rebuilds or catches up a
// projection from the event stream (app/src/replay.ts).
import { pathToFileURL } from 'node:url';
import { PROJECTIONS, type ProjectionName, type ReplayOptions, replayProjection } from '@micropost/app/replay';

function parseArgs(argv: readonly string[]): ReplayOptions {
  const usage = `usage: npm run replay -- <${PROJECTIONS.join('|')}> [--from <ISO time>] [--idle-ms <ms>]`;
  const [projection, ...rest] = argv;
  if (!projection || !(PROJECTIONS as readonly string[]).includes(projection)) throw new Error(usage);
  let from: Date | undefined;
  let idleMs: number | undefined;
  for (let i = 0; i < rest.length; i += 2) {
    const value = rest[i + 1];
    if (rest[i] === '--from' && value && !Number.isNaN(Date.parse(value))) from = new Date(value);
    else if (rest[i] === '--idle-ms' && value && /^[1-9][0-9]*$/.test(value)) idleMs = Number(value);
    else throw new Error(usage);
  }
  return { projection: projection as ProjectionName, from, idleMs };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const options = parseArgs(process.argv.slice(2));
    const result = await replayProjection(options);
    console.log(
      `[replay] ${options.projection}: ${result.read} events read, ${result.handled} handled, ${result.failed} failed`,
    );
    process.exit(result.failed > 0 ? 1 : 0);
  } catch (err) {
    console.error(`[replay] ${(err as Error).message}`);
    process.exit(2);
  }
}
