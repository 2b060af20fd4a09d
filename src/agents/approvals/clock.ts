/** Time and timers, injectable so tests drive an approval's timeout without waiting for it. */
export type Timer = { unref?(): unknown };

export type Clock = {
  now(): number;
  setTimeout(callback: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | undefined): void;
};

/** Unref'ed: a pending approval never keeps the process alive on its own. */
export const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};
