export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Explains what never happened; becomes the error message on timeout. */
  message: string;
}

/**
 * Polls `probe` until it yields something other than undefined/false and returns that value.
 * Tests wait for eventual effects (events, projections) with this instead of fixed sleeps.
 * A probe that throws is treated as "not yet"; its last error is appended on timeout.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  { timeoutMs = 10_000, intervalMs = 50, message }: WaitForOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`${message} [waited ${timeoutMs} ms]${cause}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
