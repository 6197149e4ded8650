// What `npm start` runs and what it tells the person who ran it: pure functions, tested in
// scripts/test/launch-plan.test.ts.
import type { Availability } from '@micropost/infra';
import type { ServerSpec } from './services.ts';

export interface LaunchPlan {
  readonly servers: readonly ServerSpec[];
  /** Set when the plan falls short of the full system; shown boxed, not as one log line among many. */
  readonly warning?: string;
}

/** Every server on RabbitMQ; only when no broker can be had, one server on its in-process bus. */
export function planLaunch(all: readonly ServerSpec[], rabbitmq: Availability): LaunchPlan {
  if (rabbitmq.ok) return { servers: all };
  return {
    servers: all.slice(0, 1),
    warning: [
      'RabbitMQ is not available, so this is NOT the full system:',
      `ONE server (${all[0]?.name}) runs, with events kept inside its process.`,
      `Why: ${rabbitmq.why.split('\n')[0]}`,
      'Install rabbitmq-server or set AMQP_URL, then run `npm start` again.',
    ].join('\n'),
  };
}

/** Draws `text` in a box, one line per line of text, wrapped at `width`. */
export function boxed(text: string, width = 76): string {
  const lines = text.split('\n').flatMap((line) => wrap(line, width));
  const rule = '═'.repeat(width + 2);
  return [`╔${rule}╗`, ...lines.map((line) => `║ ${line.padEnd(width)} ║`), `╚${rule}╝`].join('\n');
}

function wrap(line: string, width: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      out.push(current);
      current = '';
    }
    current = current === '' ? word : `${current} ${word}`;
    while (current.length > width) {
      out.push(current.slice(0, width));
      current = current.slice(width);
    }
  }
  out.push(current);
  return out;
}

/** `a`, `a and b`, `a, b and c`. */
const listed = (names: readonly string[]) =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;

/** The lines printed once everything is up: only what is true of this run. */
export function upBanner({
  servers,
  balancerPort,
}: {
  servers: readonly ServerSpec[];
  balancerPort: number | null;
}): string {
  const entry = balancerPort ?? servers[0]!.port;
  const rows: [string, string][] = [
    ['web client', `http://localhost:${entry}/`],
    ['Apollo Sandbox', `http://localhost:${entry}/graphql`],
    ...servers.map((spec): [string, string] => [spec.name, `http://localhost:${spec.port}/graphql`]),
    [
      'balancer',
      balancerPort === null
        ? 'none: use a server’s own port'
        : `HAProxy on ${balancerPort} over ${listed(servers.map((spec) => spec.name))}`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const lines = [
    'Micropost is up.',
    ...rows.map(([label, value]) => `  ${`${label}:`.padEnd(width)}${value}`),
    'Ctrl-C stops everything.',
  ];
  return lines.join('\n');
}
