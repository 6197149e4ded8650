import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON logger per process; children carry `service`, and per request `requestId`. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({ name: service, level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
}
