import multicastDns, { type MdnsPacket, type MdnsRecord } from 'multicast-dns';

const SERVICE = '_openclaw-gw._tcp.local';
/** Browsers re-ask while they wait, as a real DNS-SD client does until it has its answer. */
const REQUERY_MS = 300;

export type Beacon = { instance: string; port: number; txt: Record<string, string> };

function txtOf(record: MdnsRecord): Record<string, string> {
  const entries = (record.data as Buffer[]).map((chunk) => chunk.toString('utf8'));
  return Object.fromEntries(
    entries.map((entry) => {
      const eq = entry.indexOf('=');
      return eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
    }),
  );
}

/**
 * A real mDNS client on 224.0.0.251:5353 (multicast-dns), browsing `_openclaw-gw._tcp.local` as OpenClaw's
 * apps do: PTR → instance, then its SRV (port) and TXT, read from answers and additionals.
 */
export class MdnsBrowser {
  readonly #mdns = multicastDns({ loopback: true, reuseAddr: true });
  readonly #listeners = new Set<(packet: MdnsPacket) => void>();
  readonly #queries = new Set<string>();

  constructor() {
    this.#mdns.on('response', (packet: MdnsPacket) => {
      for (const listener of this.#listeners) listener(packet);
    });
    this.#mdns.on('query', (packet: MdnsPacket) => {
      for (const question of packet.questions ?? []) this.#queries.add(question.name);
    });
    this.#mdns.on('error', () => {});
  }

  /**
   * Whether multicast works here at all: a query this client sends must come back to it over the group (it
   * does when the host has a multicast-capable interface and loopback is on). Polled up to `deadlineMs`.
   */
  async multicastWorks(deadlineMs = 3_000): Promise<boolean> {
    const name = `clawgate-probe-${process.pid}-${Date.now()}.local`;
    const deadline = performance.now() + deadlineMs;
    while (performance.now() < deadline) {
      this.#mdns.query({ questions: [{ name, type: 'A' }] });
      if (await this.#waitFor(() => this.#queries.has(name), REQUERY_MS)) return true;
    }
    return false;
  }

  /** The beacon whose SRV port is `port` once its TXT satisfies `accept`; rejects after `deadlineMs`. */
  async find(port: number, accept: (txt: Record<string, string>) => boolean, deadlineMs = 10_000) {
    const srv = new Map<string, number>();
    const txt = new Map<string, Record<string, string>>();
    let found: Beacon | undefined;
    const listener = (packet: MdnsPacket) => {
      for (const record of [...packet.answers, ...packet.additionals]) {
        if (record.type === 'SRV') srv.set(record.name, (record.data as { port: number }).port);
        if (record.type === 'TXT' && (record.ttl ?? 1) > 0) txt.set(record.name, txtOf(record));
      }
      for (const [instance, srvPort] of srv) {
        const values = txt.get(instance);
        if (srvPort === port && values && accept(values)) found = { instance, port, txt: values };
      }
    };
    this.#listeners.add(listener);
    try {
      const deadline = performance.now() + deadlineMs;
      while (!found && performance.now() < deadline) {
        this.#mdns.query({ questions: [{ name: SERVICE, type: 'PTR' }] });
        await this.#waitFor(() => found !== undefined, REQUERY_MS);
      }
      if (!found) throw new Error(`no _openclaw-gw._tcp beacon for port ${port} within ${deadlineMs} ms`);
      return found;
    } finally {
      this.#listeners.delete(listener);
    }
  }

  /** Resolves when a goodbye (TTL 0) for `instance` is heard: the service was withdrawn. */
  goodbye(instance: string, deadlineMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#listeners.delete(listener);
        reject(new Error(`no goodbye for ${instance} within ${deadlineMs} ms`));
      }, deadlineMs);
      const listener = (packet: MdnsPacket) => {
        const bye = packet.answers.some(
          (record) => record.ttl === 0 && (record.name === instance || record.data === instance),
        );
        if (!bye) return;
        clearTimeout(timer);
        this.#listeners.delete(listener);
        resolve();
      };
      this.#listeners.add(listener);
    });
  }

  #waitFor(condition: () => boolean, ms: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const listener = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.#listeners.delete(listener);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(listener);
        resolve(condition());
      }, ms);
      this.#listeners.add(listener);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#mdns.destroy(() => resolve()));
  }
}
