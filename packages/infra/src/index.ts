export type { Log } from './log.ts';
export { stderrLog } from './log.ts';
export { repoRoot } from './paths.ts';
export { freePort, isPortOpen } from './ports.ts';
export { which, run, exited, terminate, poll, killOnExit, type RunResult } from './process.ts';
export {
  ensurePostgresInstalled,
  findPostgresBin,
  startPostgres,
  type PostgresOptions,
  type RunningPostgres,
} from './postgres.ts';
export {
  ensureFerretDB,
  startFerretDB,
  ferretdbCacheBin,
  ferretdbPatchesDir,
  ferretdbBuildStamp,
  applyFerretDBPatches,
  copyFerretDBSource,
  findGo,
  FERRETDB_VERSION,
  type FerretDBOptions,
  type RunningFerretDB,
} from './ferretdb.ts';
export {
  ensureRabbitMQInstalled,
  startRabbitNode,
  startDefaultRabbit,
  type RabbitNodeOptions,
  type RunningRabbitNode,
  type DefaultRabbit,
} from './rabbitmq.ts';
export { startRabbitCluster, type RabbitClusterOptions, type RunningRabbitCluster } from './rabbit-cluster.ts';
export { RabbitAdmin, type QueueInfo, type BindingInfo, type PeekedMessage } from './rabbit-admin.ts';
export { ensureDebianPackage, findCommand } from './debian.ts';
export {
  ensureHaproxyInstalled,
  startBalancer,
  HAPROXY_CONFIG,
  type BalancerOptions,
  type RunningBalancer,
} from './balancer.ts';
export { haproxyConfig, serverLetter, serverAddressVariable, MAX_SERVERS } from './haproxy-config.ts';
export { prepareServices, type Availability, type PreparedServices, type PrepareOptions } from './prepare.ts';
export { thisMachine, type Machine } from './debian.ts';
