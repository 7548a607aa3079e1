/** Small helpers for Postgres connection strings shared by the scripts and the test harness. */

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

/** The URL with its password hidden, for messages and logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable connection string>';
  }
}

/**
 * Reads a connection string from the environment and fails with a message naming the variable
 * (never a stack trace) when it is missing or not a postgres URL.
 */
export function requireDatabaseUrl(variable = 'DATABASE_URL'): string {
  const value = process.env[variable];
  if (!value) {
    throw new ConfigurationError(`${variable} is not set: give it a postgres:// connection string.`);
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigurationError(`${variable} is not a valid URL: ${redact(value)}`);
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) {
    throw new ConfigurationError(`${variable} must start with postgres:// (got ${parsed.protocol}//…)`);
  }
  return value;
}

/** A problem with configuration the operator must fix; CLIs print its message without a stack. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}
