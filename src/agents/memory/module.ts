import type { GatewayModule } from '../../server/registry.ts';
import { memoryMethods } from './memory-methods.ts';

/**
 * The memory backend (docs/memory.md): `memory.search` and the Memory page's `doctor.memory.*` reads. Its service
 * opens the index and indexes the workspaces in the post-attach phase, and `/readyz` waits for it (the seed:
 * ready only once the memory backend is up).
 */
export const memoryModule: GatewayModule = {
  id: 'memory',
  methods: memoryMethods,
  services: [
    {
      name: 'memory',
      phase: 'post-attach',
      requiredForReady: true,
      start: (ctx) => ctx.memory.start(ctx.config),
      stop: (ctx) => ctx.memory.stop(),
    },
  ],
};
