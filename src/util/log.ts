import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** The process-wide structured logger; components log through `logger.child({ component })`. */
export const logger: Logger = pino({
  level: process.env.K8TS_LOG_LEVEL ?? 'info',
  base: { pid: process.pid },
});

/** A logger for one component (e.g. `storage`, `apiserver`), so every line says where it came from. */
export function componentLogger(component: string): Logger {
  return logger.child({ component });
}
