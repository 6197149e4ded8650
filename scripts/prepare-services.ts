// Called by `npm test` before the tests: builds FerretDB and installs PostgreSQL (its backend),
// RabbitMQ and HAProxy if they are missing, so the (slow, first-time-only) work happens with visible progress instead of inside
// vitest's global setup. Skips whatever the environment already provides.
import {
  ensureFerretDB,
  ensureHaproxyInstalled,
  ensurePostgresInstalled,
  ensureRabbitMQInstalled,
} from '@micropost/infra';

const provided = (name: string) => (process.env[name] ?? '').trim() !== '';
const log = (line: string) => console.log(`  ${line}`);

if (provided('MONGO_URL')) log('MONGO_URL is set: not using the embedded FerretDB');
else {
  log(`FerretDB: ${await ensureFerretDB({ log })}`);
  log(`PostgreSQL (FerretDB's backend): ${await ensurePostgresInstalled({ log })}`);
}

if (provided('AMQP_URL') && provided('RABBITMQ_MANAGEMENT_URL'))
  log('AMQP_URL and RABBITMQ_MANAGEMENT_URL are set: not starting RabbitMQ');
else {
  await ensureRabbitMQInstalled({ log });
  log('RabbitMQ: installed');
}

// The two-server tests put HAProxy in front of servers A and B.
await ensureHaproxyInstalled({ log });
log('HAProxy: installed');
