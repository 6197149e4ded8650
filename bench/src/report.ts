import type { BenchResult } from './run.ts';

const fmt = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined || Number.isNaN(value)
    ? '—'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The Markdown table of one run (bench/results/latest.md). */
export function markdown(result: BenchResult): string {
  const { machine, seed } = result;
  const lines: string[] = [];
  const table = (header: string[], rows: (string | number)[][]) => {
    lines.push(
      `| ${header.join(' | ')} |`,
      `|${header.map(() => '---').join('|')}|`,
      ...rows.map((row) => `| ${row.join(' | ')} |`),
      '',
    );
  };
  lines.push(
    `# Micropost benchmark — ${result.config.profile} profile`,
    '',
    `Run ${result.startedAt}, ${result.durationSeconds} s. Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}, ` +
      `\`ulimit -n\` ${machine.fileDescriptorLimit}, load average at start ${machine.loadAverageAtStart.join(' / ')}. ` +
      (seed
        ? 'Everything on this one machine: FerretDB 1.24.2 on a private PostgreSQL cluster, a private RabbitMQ node, servers A and B (each: every subgraph + router), HAProxy, and the load generator.'
        : 'Everything on this one machine: the in-memory subgraphs, the gateways and the load generator (no database, no broker).'),
    '',
  );
  if (seed)
    lines.push(
      '## Seeded data set',
      '',
      `${fmt(seed.users)} users, ${fmt(seed.follows)} follows (one author followed by ${fmt(seed.size.bigAuthorFollowers)}, one by ${fmt(seed.size.midAuthorFollowers)}, the rest Zipf-skewed), ` +
        `${fmt(seed.posts)} posts (words + hashtags, Zipf-skewed authors), ${fmt(seed.timelineEntries)} timeline entries after fan-out. ` +
        `Seeded in ${seed.seconds.total} s (writing the source stores and publishing: users ${seed.seconds.users} s, follows ${seed.seconds.follows} s, posts ${seed.seconds.posts} s; then the projections caught up in ${seed.seconds.projections} s). Method: ${seed.method}.` +
        (Object.keys(seed.purged).length > 0
          ? ` Search lagged behind: ${Object.entries(seed.purged)
              .map(([queue, count]) => `${fmt(count)} events purged from ${queue}`)
              .join(', ')} (the search index covers the rest).`
          : '') +
        (seed.backlog
          ? ` **The projections had not caught up when the seed stopped waiting** (${seed.backlog}); the scenarios ran on them as they were.`
          : ''),
      '',
    );
  if (result.feedRead) {
    lines.push(
      `## 1. Feed read through the balancer`,
      '',
      `\`${result.feedRead.query}\`, tokens of ${result.feedRead.readers} seeded readers, ${result.config.feedRead.seconds} s per step (autocannon 9.0.0, closed loop).`,
      '',
    );
    table(
      ['concurrency', 'requests/s', 'p50 ms', 'p95 ms', 'p99 ms', 'requests', 'errors'],
      result.feedRead.runs.map((run) => [
        run.connections,
        fmt(run.requestsPerSecond, 1),
        fmt(run.p50Ms, 1),
        fmt(run.p95Ms, 1),
        fmt(run.p99Ms, 1),
        fmt(run.requests),
        run.errors,
      ]),
    );
  }
  if (result.gateways) {
    const g = result.gateways;
    lines.push(
      '## 2. Gateways side by side',
      '',
      `Same subgraph process, same supergraph, same homeFeed query, ${g.connections} connections, ${g.seconds} s × ${g.rounds} alternating rounds (medians shown); each gateway in its own process. ` +
        `Responses identical across gateways: ${g.identicalResponses ? 'yes' : 'NO'}.`,
      '',
    );
    table(
      ['gateway', 'requests/s', 'p50 ms', 'p99 ms', 'errors', 'idle RSS MiB', 'peak RSS MiB'],
      g.gateways.map((gw) => [
        gw.description,
        fmt(gw.requestsPerSecond, 1),
        fmt(gw.p50Ms, 1),
        fmt(gw.p99Ms, 1),
        gw.errors,
        fmt(gw.idleRssMiB),
        fmt(gw.peakRssMiB),
      ]),
    );
    table(
      ['ratio', 'throughput', 'p99', 'peak RSS'],
      (['stock', 'hive'] as const).map((peer) => [
        `ours ÷ ${peer}`,
        fmt(g.ratios[peer].throughput, 2),
        fmt(g.ratios[peer].p99, 2),
        fmt(g.ratios[peer].peakRss, 2),
      ]),
    );
  }
  if (result.write) {
    const w = result.write;
    lines.push('## 3. Writes and fan-out', '');
    table(
      ['createPost through the balancer', 'posts/s accepted', 'p50 ms', 'p99 ms', 'requests', 'errors'],
      [
        [
          `${w.createPost.connections} connections, ${w.createPost.seconds} s`,
          fmt(w.createPost.requestsPerSecond, 1),
          fmt(w.createPost.p50Ms, 1),
          fmt(w.createPost.p99Ms, 1),
          fmt(w.createPost.requests),
          w.createPost.errors,
        ],
      ],
    );
    table(
      ['author followers', 'createPost ms', 'half the timelines ms', 'every timeline ms', 'timelines holding it'],
      w.fanOut.map((run) => [
        fmt(run.followers),
        fmt(run.mutationMs),
        fmt(run.halfMs),
        run.completeMs === null
          ? `incomplete after ${result.config.write.fanOutTimeoutMs / 1000} s`
          : fmt(run.completeMs),
        `${fmt(run.timelinesHolding)} of ${fmt(run.followers + 1)}`,
      ]),
    );
  }
  if (result.live) {
    lines.push('## 4. Live delivery (feedUpdated on server B, posts through server A)', '');
    table(
      [
        'subscriptions',
        'sockets (users)',
        'posts',
        'p50 ms',
        'p99 ms',
        'max ms',
        `not delivered within ${result.config.live.deliveryTimeoutMs / 1000} s`,
        'B RSS before → after MiB',
        'KiB per subscription',
        'subscribe time s',
      ],
      result.live.map((run) => [
        fmt(run.subscriptions),
        fmt(run.sockets),
        run.posts,
        fmt(run.p50Ms),
        fmt(run.p99Ms),
        fmt(run.maxMs),
        `${run.lost} of ${fmt(run.expectedMessages)}`,
        `${run.rssBeforeMiB} → ${run.rssAfterMiB}`,
        fmt(run.kibPerSubscription, 1),
        fmt(run.subscribeSeconds, 1),
      ]),
    );
  }
  if (result.search) {
    const s = result.search;
    lines.push(`## 5. Search through the balancer (${s.connections} connections)`, '');
    table(
      ['operation', 'requests/s', 'p50 ms', 'p95 ms', 'p99 ms', 'requests', 'errors'],
      [
        [
          'searchPosts (words, pairs, #tags)',
          fmt(s.posts.requestsPerSecond, 1),
          fmt(s.posts.p50Ms, 1),
          fmt(s.posts.p95Ms, 1),
          fmt(s.posts.p99Ms, 1),
          fmt(s.posts.requests),
          s.posts.errors,
        ],
        [
          'searchUsers (name prefixes)',
          fmt(s.users.requestsPerSecond, 1),
          fmt(s.users.p50Ms, 1),
          fmt(s.users.p95Ms, 1),
          fmt(s.users.p99Ms, 1),
          fmt(s.users.requests),
          s.users.errors,
        ],
      ],
    );
  }
  if (result.resume) {
    const r = result.resume;
    lines.push(
      '## 6. Resuming subscriptions at once (postCreated on server B, from one cursor)',
      '',
      `${fmt(r.resuming)} clients subscribe at the same moment with \`after\` set to a cursor ${r.missedEach} posts old, ` +
        'as after their server died; meanwhile another author posts every 100 ms to a live subscriber on B.',
      '',
    );
    table(
      [
        'resuming',
        'missed each',
        'all replays done ms',
        'wrong',
        'live posts',
        'live p50 ms',
        'live p99 ms',
        'live lost',
      ],
      [
        [
          fmt(r.resuming),
          r.missedEach,
          fmt(r.replayAllMs),
          r.wrong,
          r.livePosts,
          fmt(r.liveP50Ms),
          fmt(r.liveP99Ms),
          r.liveLost,
        ],
      ],
    );
  }
  if (result.router) {
    const r = result.router;
    const label: Record<string, string> = {
      ours: 'ours, subgraphs over HTTP',
      stock: 'stock @apollo/gateway',
      hive: 'Hive Gateway',
      oursColocated: 'ours, subgraphs in-process',
    };
    lines.push(
      '## 8. The router alone (isolation)',
      '',
      `The five served subgraphs' real schemas, answering from memory (homeFeed: 20 posts with authors, like counts, viewer fields), each in its own process; no database, no broker. ` +
        `Operations round-robin: ${r.operations.join(', ')}; tokens of 64 users; ${r.seconds} s per run, ${r.rounds} alternating rounds per connection count (medians). ` +
        `CPU = user + system time of the gateway's process per request (for "in-process" that includes executing the subgraphs). Responses identical across gateways: ${r.identicalResponses ? 'yes' : 'NO'}.`,
      '',
    );
    for (const [name, description] of Object.entries(r.descriptions))
      lines.push(`- **${label[name]}**: ${description}`);
    lines.push('');
    table(
      ['gateway', 'connections', 'requests/s', 'p50 ms', 'p99 ms', 'CPU ms/request', 'errors', 'peak RSS MiB'],
      r.load.flatMap((level) =>
        level.gateways.map((g) => [
          label[g.name]!,
          level.connections,
          fmt(g.requestsPerSecond, 0),
          fmt(g.p50Ms, 1),
          fmt(g.p99Ms, 1),
          fmt(g.cpuMsPerRequest, 2),
          g.errors,
          fmt(r.peakRssMiB[g.name]),
        ]),
      ),
    );
    lines.push(
      'Router overhead: p50 of one request at a time through the gateway ÷ p50 of the same subgraph fetches (recorded once from our router) sent directly, one after the other, on a kept-alive connection.',
      '',
    );
    table(
      ['operation', 'fetches', 'direct p50 ms', ...Object.values(label).map((name) => `${name} p50 ms (×)`)],
      r.overhead.map((o) => [
        o.operation,
        o.fetches.join(' → '),
        fmt(o.directP50Ms, 2),
        ...Object.keys(label).map(
          (name) =>
            `${fmt(o.gateways[name as keyof typeof o.gateways].p50Ms, 2)} (${o.gateways[name as keyof typeof o.gateways].overhead}×)`,
        ),
      ]),
    );
    table(
      ['target', 'reached', 'wanted', 'met'],
      r.targets.map((t) => [t.name, t.value, t.target, t.met ? 'yes' : 'no']),
    );
  }
  if (Object.keys(result.failures).length > 0) {
    lines.push('## Failed scenarios', '');
    for (const [name, message] of Object.entries(result.failures))
      lines.push(`- **${name}**: ${message.replace(/\n/g, ' ').slice(0, 500)}`);
    lines.push('');
  }
  return lines.join('\n');
}
