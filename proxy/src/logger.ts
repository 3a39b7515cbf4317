import pino, { type DestinationStream, type Logger } from 'pino';
import { REDACT_PATHS } from './crypto.ts';
import type { LogLevel } from './config.ts';

export type { Logger };

/**
 * JSON logs (pino). Credentials are censored by path (client secrets, tokens, codes, cookies) and URLs
 * go through scrubUrl() before they are logged, so no secret or token ever reaches a log line.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'peoplebook-proxy' },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
