/** Progress sink for the long-running setup steps; one human-readable line per call. */
export type Log = (line: string) => void;

/** Default sink: stderr, so progress never mixes with a command's real output. */
export const stderrLog: Log = (line) => process.stderr.write(`${line}\n`);
