import type { TSchema } from 'typebox';
import type { MethodHandler, MethodTable } from './method-types.ts';

export type MethodOptions = {
  /** Answer retryable UNAVAILABLE until start-up sidecars are ready (⏳ in protocol.md §6). */
  requiresReady?: boolean;
  /** Params schema for methods the core schema table does not know (plugins). */
  schema?: TSchema;
  /** Callable but left out of `hello-ok.features.methods` (protocol.md §6 †). */
  hidden?: boolean;
};

type Entry = { handler: MethodHandler; options: MethodOptions };

/** The one flat `namespace.action → handler` map; core tables and plugin `gatewayMethods` go in the same way. */
export class MethodRegistry {
  #entries = new Map<string, Entry>();

  register(name: string, handler: MethodHandler, options: MethodOptions = {}): void {
    if (this.#entries.has(name)) throw new Error(`gateway method ${name} is registered twice`);
    this.#entries.set(name, { handler, options });
  }

  registerTable(table: MethodTable, options: Record<string, MethodOptions> = {}): void {
    for (const [name, handler] of Object.entries(table)) this.register(name, handler, options[name]);
  }

  get(name: string): Entry | undefined {
    return this.#entries.get(name);
  }

  /** What `hello-ok.features.methods` advertises: exactly what answers, minus hidden ones. */
  advertised(): string[] {
    return [...this.#entries].filter(([, entry]) => !entry.options.hidden).map(([name]) => name);
  }
}
