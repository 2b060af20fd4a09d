import { createHook } from 'node:async_hooks';

/**
 * Runs `body` while tracking the resources it creates, including unref'd timers (which
 * process.getActiveResourcesInfo() does not list), and returns the types of those still alive afterwards.
 */
export async function handlesLeftBy(body: () => Promise<void>): Promise<string[]> {
  const tracked = [
    'Timeout',
    'TCPSERVERWRAP',
    'TCPWRAP',
    'UDPWRAP',
    'PROCESSWRAP',
    'STATWATCHER',
    'FSEVENTWRAP',
  ];
  const live = new Map<number, string>();
  let recording = true;
  const hook = createHook({
    init(asyncId, type) {
      if (recording && tracked.includes(type)) live.set(asyncId, type);
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  try {
    await body();
    // What is created from here on belongs to the polling, not to the gateway.
    recording = false;
    // Destroy hooks run asynchronously after a handle closes: poll with a deadline.
    const deadline = performance.now() + 3_000;
    while (live.size > 0 && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    return [...live.values()];
  } finally {
    hook.disable();
  }
}
