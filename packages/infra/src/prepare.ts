import { type Machine, thisMachine } from './debian.ts';
import { ensureFerretDB } from './ferretdb.ts';
import { ensureHaproxyInstalled } from './balancer.ts';
import { stderrLog, type Log } from './log.ts';
import { ensurePostgresInstalled } from './postgres.ts';
import { ensureRabbitMQInstalled } from './rabbitmq.ts';

/** Whether a service can be had, and how (or why not). */
export type Availability = { readonly ok: true; readonly how: string } | { readonly ok: false; readonly why: string };

export interface PreparedServices {
  /** FerretDB built and PostgreSQL installed, or MONGO_URL. */
  readonly database: Availability;
  /** rabbitmq-server installed, or a broker given by the environment. */
  readonly rabbitmq: Availability;
  /** HAProxy installed. */
  readonly balancer: Availability;
}

export interface PrepareOptions {
  readonly log?: Log;
  /** MONGO_URL given: no embedded database needed. */
  readonly externalDatabase: boolean;
  /** A broker given by the environment: nothing to install. */
  readonly externalRabbitMQ: boolean;
  readonly machine?: Machine;
}

async function settle(provide: () => Promise<string>): Promise<Availability> {
  try {
    return { ok: true, how: await provide() };
  } catch (error) {
    return { ok: false, why: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The one "prepare services" step of `npm start` and `npm test`: builds FerretDB and installs
 * PostgreSQL, RabbitMQ and HAProxy where they are missing (slow the first time, with progress on
 * `log`). It never throws: each caller decides what it cannot do without.
 */
export async function prepareServices(options: PrepareOptions): Promise<PreparedServices> {
  const { log = stderrLog, machine = thisMachine() } = options;
  const database = await settle(async () => {
    if (options.externalDatabase) return 'MONGO_URL';
    const ferretdb = await ensureFerretDB({ log });
    await ensurePostgresInstalled({ log });
    return `FerretDB (${ferretdb}) on a private PostgreSQL`;
  });
  const rabbitmq = await settle(async () => {
    if (options.externalRabbitMQ) return 'the broker given by the environment';
    await ensureRabbitMQInstalled({ log, machine });
    return 'rabbitmq-server installed';
  });
  const balancer = await settle(async () => {
    await ensureHaproxyInstalled({ log, machine });
    return 'haproxy installed';
  });
  return { database, rabbitmq, balancer };
}
