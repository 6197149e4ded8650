export { createTestServices, amqpUrlForVhost, type TestServices } from './services.ts';
export { waitFor, type WaitForOptions } from './wait-for.ts';
export {
  seqScansDuring,
  seqScansDuringEach,
  readTableScans,
  type ScanCheckOptions,
  type ScanReport,
  type SeqScan,
  type TableScans,
} from './pg-scans.ts';
export type { MicropostServices } from './provided.ts';
export * from './tcp-proxy.ts';
export * from './graphql-client.ts';
export * from './event-tap.ts';
export * from './event-publisher.ts';
