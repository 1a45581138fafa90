/** The logger a use case is given: message and details, at three levels (a Powertools Logger adapts to it). */
export type LogFn = (message: string, details?: Record<string, unknown>) => void;

export interface UseCaseLogger {
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
}

type LevelFn = (message: string, details: Record<string, unknown>) => void;

/** A Powertools Logger (anything with its three methods) as a use case's logger. */
export function useCaseLogger(logger: { info: LevelFn; warn: LevelFn; error: LevelFn }): UseCaseLogger {
  return {
    info: (message, details) => logger.info(message, details ?? {}),
    warn: (message, details) => logger.warn(message, details ?? {}),
    error: (message, details) => logger.error(message, details ?? {}),
  };
}
