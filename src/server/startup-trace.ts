/** Per-phase start-up timing; printed when CLAWGATE_STARTUP_TRACE=1 (or OPENCLAW_GATEWAY_STARTUP_TRACE=1). */
export type StartupPhase = { name: string; ms: number };

export class StartupTrace {
  readonly phases: StartupPhase[] = [];
  #start = performance.now();
  #last = this.#start;

  async phase<T>(name: string, run: () => T | Promise<T>): Promise<T> {
    const begin = performance.now();
    try {
      return await run();
    } finally {
      const end = performance.now();
      this.phases.push({ name, ms: Math.round((end - begin) * 100) / 100 });
      this.#last = end;
    }
  }

  totalMs(): number {
    return Math.round((this.#last - this.#start) * 100) / 100;
  }

  format(): string {
    const lines = this.phases.map((p) => `  ${p.name.padEnd(22)} ${p.ms.toFixed(2).padStart(8)} ms`);
    return `start-up trace:\n${lines.join('\n')}\n  ${'total'.padEnd(22)} ${this.totalMs().toFixed(2).padStart(8)} ms`;
  }
}

export function startupTraceEnabled(env: NodeJS.ProcessEnv): boolean {
  return env.CLAWGATE_STARTUP_TRACE === '1' || env.OPENCLAW_GATEWAY_STARTUP_TRACE === '1';
}
