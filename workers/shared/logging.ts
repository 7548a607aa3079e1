/**
 * Structured JSON logs (Workers Logs indexes JSON fields): one object per line with a level, a
 * message and context such as request_id or procedure_execution_id. Never log secrets or tokens.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
type Fields = Record<string, unknown>;

function write(level: Level, message: string, fields: Fields = {}): void {
  const line = JSON.stringify({ level, message, time: new Date().toISOString(), ...fields });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}

export const log = {
  debug: (message: string, fields?: Fields) => write('debug', message, fields),
  info: (message: string, fields?: Fields) => write('info', message, fields),
  warn: (message: string, fields?: Fields) => write('warn', message, fields),
  error: (message: string, fields?: Fields) => write('error', message, fields),
  /** A logger that adds the same fields (e.g. procedure_execution_id) to every line. */
  with(bound: Fields) {
    return {
      debug: (message: string, fields?: Fields) => write('debug', message, { ...bound, ...fields }),
      info: (message: string, fields?: Fields) => write('info', message, { ...bound, ...fields }),
      warn: (message: string, fields?: Fields) => write('warn', message, { ...bound, ...fields }),
      error: (message: string, fields?: Fields) => write('error', message, { ...bound, ...fields }),
    };
  },
};
