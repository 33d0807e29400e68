import pino, { type Logger } from 'pino';

export function createLogger(level = 'info', name = 'omega'): Logger {
  return pino({ name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
