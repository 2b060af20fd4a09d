// The package ships no types; this covers what the mDNS browser helper uses.
declare module 'multicast-dns' {
  import type { EventEmitter } from 'node:events';
  export type MdnsRecord = {
    name: string;
    type: string;
    ttl?: number;
    class?: string;
    flush?: boolean;
    data: unknown;
  };
  export type MdnsPacket = {
    answers: MdnsRecord[];
    additionals: MdnsRecord[];
    questions?: { name: string }[];
  };
  export interface MulticastDns extends EventEmitter {
    query(query: { questions: { name: string; type: string }[] }, callback?: (error?: Error) => void): void;
    destroy(callback?: () => void): void;
  }
  export default function multicastDns(options?: { loopback?: boolean; reuseAddr?: boolean }): MulticastDns;
}
