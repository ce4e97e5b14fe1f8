import type { Logger } from '../../shared/logger.ts';

/** ElizaOS's logger method names (pino-style), on Chronicle's structured logger. */
export interface ElizaLogger {
  trace(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  log(...args: unknown[]): void;
  success(...args: unknown[]): void;
  progress(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  fatal(...args: unknown[]): void;
  child(fields: Record<string, unknown>): ElizaLogger;
}

/**
 * One logger call's arguments as one line (the same in the server and in an isolated plugin's child):
 * the first string is the message, an Error gives `error`, plain objects merge into the fields, and
 * anything else is kept as text in `args`.
 */
export function logArgs(args: readonly unknown[], extra?: Record<string, unknown>): { msg: string; fields: Record<string, unknown> } {
  let msg = '';
  const fields: Record<string, unknown> = { ...extra };
  const rest: string[] = [];
  for (const a of args) {
    if (typeof a === 'string' && !msg) msg = a;
    else if (a instanceof Error) fields.error = a.message;
    else if (a && typeof a === 'object' && !Array.isArray(a)) Object.assign(fields, a);
    else if (a !== undefined) rest.push(String(a));
  }
  if (rest.length) fields.args = rest;
  return { msg, fields };
}

/**
 * ElizaOS plugins call `logger.info('text')`, `logger.info({ obj }, 'text')` and `logger.error('text', err)`:
 * each becomes one line of Chronicle's JSON log with the plugin's name, the message and the fields.
 */
export function elizaLogger(logger: Logger): ElizaLogger {
  const line =
    (level: 'debug' | 'info' | 'warn' | 'error', extra?: Record<string, unknown>) =>
    (...args: unknown[]) => {
      const { msg, fields } = logArgs(args, extra);
      logger[level](msg, fields);
    };
  return {
    trace: line('debug'),
    debug: line('debug'),
    info: line('info'),
    log: line('info'),
    success: line('info', { success: true }),
    progress: line('info'),
    warn: line('warn'),
    error: line('error'),
    fatal: line('error', { fatal: true }),
    child: (fields) => elizaLogger(logger.child(fields)),
  };
}
