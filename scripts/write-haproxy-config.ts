// Writes deploy/haproxy.cfg (docker-compose.yml's two servers) from the generator `npm start` uses;
// with `--servers N`, prints the configuration for N servers instead.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HAPROXY_CONFIG, haproxyConfig } from '@micropost/infra';

const { values } = parseArgs({ options: { servers: { type: 'string' } } });
if (values.servers === undefined) {
  writeFileSync(HAPROXY_CONFIG, haproxyConfig({ servers: 2 }));
  console.log(`wrote ${HAPROXY_CONFIG}`);
} else process.stdout.write(haproxyConfig({ servers: Number(values.servers) }));
