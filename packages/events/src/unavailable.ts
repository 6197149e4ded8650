// Shared by the API's error masking (SERVICE_UNAVAILABLE) and the consumers (retry in place, not dead-letter).

/** Driver errors that mean "the database cannot be reached", by name: no dependency on the driver here. */
const UNREACHABLE_ERRORS = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'MongoNotConnectedError',
  'MongoServerClosedError',
]);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
]);
/** What FerretDB says when its PostgreSQL backend is down or restarting (it answers with an InternalError). */
const BACKEND_DOWN =
  /connection refused|failed to connect|dial tcp|database system is (shutting down|starting up|in recovery)|terminating connection|conn closed|connection reset/i;

/** True when `error` (or one of its causes) says a dependency is unreachable rather than that the request is wrong. */
export function isUnavailableError(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth++) {
    const { name, message } = current;
    const code = (current as { code?: unknown }).code;
    if (UNREACHABLE_ERRORS.has(name)) return true;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    if (name === 'MongoServerError' && BACKEND_DOWN.test(message)) return true;
    current = (current as { cause?: unknown }).cause ?? (current as { originalError?: unknown }).originalError;
  }
  return false;
}
