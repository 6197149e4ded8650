// Writes deploy/haproxy.cfg (for docker-compose.yml's two servers) from the generator `npm start` uses.
import { writeFileSync } from 'node:fs';
import { HAPROXY_CONFIG, haproxyConfig } from '@micropost/infra';

writeFileSync(HAPROXY_CONFIG, haproxyConfig({ servers: 2 }));
console.log(`wrote ${HAPROXY_CONFIG}`);
