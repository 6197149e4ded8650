// Called by `npm test` before the tests: the same "prepare services" step as `npm start`, with
// visible progress, so the slow first-time work does not happen inside vitest's global setup.
// Tests need every service, so anything missing fails here with the reason.
import { prepareServices } from '@micropost/infra';

const provided = (name: string) => (process.env[name] ?? '').trim() !== '';
const log = (line: string) => console.log(`  ${line}`);

const prepared = await prepareServices({
  log,
  externalDatabase: provided('MONGO_URL'),
  // Tests look into queues through the management API, so a broker of their own needs both.
  externalRabbitMQ: provided('AMQP_URL') && provided('RABBITMQ_MANAGEMENT_URL'),
});
let missing = 0;
for (const [service, availability] of Object.entries(prepared)) {
  if (availability.ok) log(`${service}: ${availability.how}`);
  else {
    missing += 1;
    console.error(`  ${service}: ${availability.why}`);
  }
}
if (missing > 0) process.exit(1);
