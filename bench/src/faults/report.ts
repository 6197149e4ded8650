import type { FaultsResult } from './run.ts';

const seconds = (ms: number | null) => (ms === null ? 'not within the deadline' : `${(ms / 1000).toFixed(1)} s`);

/** bench/results/faults.md: one table of the targets, then each fault's details. */
export function faultsMarkdown(result: FaultsResult): string {
  const { machine, config } = result;
  const lines = [
    '# Micropost fault suite',
    '',
    `Run ${result.startedAt}, ${result.durationSeconds} s, profile \`${config.profile}\` (\`npm run faults\`).`,
    '',
    `Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}, load average at start ${machine.loadAverageAtStart.join(' ')}. Everything (FerretDB on PostgreSQL, RabbitMQ, servers A and B, HAProxy, the clients) on this one machine.`,
    '',
    `Load through HAProxy during every fault: ${config.writers} writers (createPost then likePost, ${config.writerPauseMs} ms pause), ${config.readers} readers (homeFeed in a closed loop), ${result.subscribers} \`postCreated\` subscribers spread over both servers by the balancer (graphql-ws clients that reconnect every 500 ms); ${result.users} users, each following every writer. Client deadline per request: ${config.requestTimeoutMs / 1000} s.`,
    '',
    'Targets: 0 acknowledged writes lost; error window ≤ 5 s for a server kill; projections converged ≤ 30 s after the fault ends; nothing restarted by hand.',
    '',
    '| fault | fault lasted | requests failed | error window | unclean errors | writes acked (posts + likes) | lost | converged after (feed / search / counters) | subscribers’ missed events | manual restart |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const f of result.faults) {
    const c = f.convergedAfterMs;
    lines.push(
      `| ${f.fault} | ${seconds(f.faultMs)} | ${f.failed} of ${f.requests} | ${seconds(f.errorWindowMs)} | ${f.unclean} | ${f.ackedPosts} + ${f.ackedLikes} | **${f.lost}** | ${seconds(c.all)} (${seconds(c.feed)} / ${seconds(c.search)} / ${seconds(c.counters)}) | ${f.subscriberMissed} | ${f.manualRestartNeeded ? '**needed**' : 'none'} |`,
    );
  }
  for (const [fault, error] of Object.entries(result.failures))
    lines.push(`| ${fault} | could not run: ${error.replaceAll('|', '\\|').slice(0, 300)} | | | | | | | | |`);
  lines.push('');
  lines.push(
    '"Error window": first failed request sent → last failed request answered (failures after the injection). "Converged after": from the end of the fault until every write acknowledged by then is readable, in every follower\'s timeline, in the search index, and its likes stored and counted. "Lost": acknowledged writes still missing anywhere at the end of the run. "Missed events": posts acknowledged during the phase that a subscriber never received, summed over subscribers (each resumes from its last cursor after a reconnect).',
    '',
  );
  for (const f of result.faults) {
    lines.push(`## ${f.fault}: ${f.description}`, '');
    lines.push(
      `- Failed requests by kind: ${
        Object.entries(f.failedByKind)
          .map(([kind, n]) => `${kind} ${n}`)
          .join(', ') || 'none'
      }; slowest failure answered in ${(f.slowestFailureMs / 1000).toFixed(1)} s; hung past the deadline: ${f.hung}.`,
    );
    if (f.uncleanSamples.length)
      lines.push(
        `- Unclean error samples: ${f.uncleanSamples.map((s) => `\`${s.replaceAll('`', "'").replaceAll('|', '/').replace(/\s+/g, ' ')}\``).join('; ')}.`,
      );
    lines.push(
      `- /ready not 200 for: server A ${(f.notReadyMs.a / 1000).toFixed(1)} s, server B ${(f.notReadyMs.b / 1000).toFixed(1)} s (sampled every 0.5 s).`,
    );
    lines.push(`- Subscriber sockets closed under their clients: ${f.subscriberDisconnects}.`);
    if (f.lost) lines.push(`- Missing at the end: ${JSON.stringify(f.lostDetail)}.`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
