/**
 * Structured logs for Cloud Run functions: one JSON line per entry on stdout/stderr, which Cloud Logging parses
 * (`severity`, `message`, and the rest as `jsonPayload`). No client library and no logging permission needed.
 */
export interface GcpLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function gcpLogger(base: Record<string, unknown>, write: (line: string, severity: string) => void = defaultWrite): GcpLogger {
  const log = (severity: string) => (message: string, fields?: Record<string, unknown>) => write(JSON.stringify({ severity, message, ...base, ...fields }), severity);
  return { info: log('INFO'), warn: log('WARNING'), error: log('ERROR') };
}

function defaultWrite(line: string, severity: string): void {
  (severity === 'INFO' ? process.stdout : process.stderr).write(`${line}\n`);
}

/** An error as log fields: its name and message, never a stack trace in a response. */
export function errorFields(err: unknown): Record<string, unknown> {
  const e = err as Error;
  return { error: { name: e?.name, message: e?.message ?? String(err) } };
}
