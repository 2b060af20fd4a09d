import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export type FakeTailnet = {
  /** `tailscale status --json` Self fields. */
  dnsName?: string;
  ips?: string[];
  /** Tailnet address → login that `tailscale whois --json` reports; any other address: "no such peer". */
  peers?: Record<string, { login: string; name?: string }>;
  /** Exit at once on serve/funnel with this message, as a node without HTTPS certificates does. */
  refuseServe?: string;
};

export type FakeTailscale = {
  dir: string;
  /** PATH with the fake first, for the gateway's environment. */
  path: string;
  /** Every invocation's arguments, in order; a foreground serve/funnel adds `["<signal>", "stopped"]` on exit. */
  calls(): string[][];
  close(): void;
};

/**
 * A `tailscale` executable written into a temp dir: a Node script that records its arguments and answers as
 * the real CLI prints with --json (status, whois), or holds a foreground `serve`/`funnel` claim, printing the
 * real CLI's banner ending "Press Ctrl+C to exit." and releasing it on SIGTERM/SIGINT.
 */
export function fakeTailscale(tailnet: FakeTailnet = {}): FakeTailscale {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-fake-tailscale-'));
  const log = join(dir, 'calls.jsonl');
  const state = join(dir, 'tailnet.json');
  writeFileSync(state, JSON.stringify(tailnet));
  writeFileSync(log, '');
  const script = `#!${process.execPath}
const { appendFileSync, readFileSync } = require('node:fs');
const log = ${JSON.stringify(log)};
const tailnet = JSON.parse(readFileSync(${JSON.stringify(state)}, 'utf8'));
const args = process.argv.slice(2);
appendFileSync(log, JSON.stringify(args) + '\\n');
const [command] = args;
if (command === 'status' && args.includes('--json')) {
  process.stdout.write(JSON.stringify({ BackendState: 'Running', Self: { DNSName: (tailnet.dnsName ?? 'gw.example.ts.net') + '.', TailscaleIPs: tailnet.ips ?? [] } }, null, 2) + '\\n');
} else if (command === 'whois') {
  const peer = (tailnet.peers ?? {})[args[args.length - 1]];
  if (!peer) { process.stderr.write('peer not found\\n'); process.exit(1); }
  process.stdout.write(JSON.stringify({ Node: { Name: 'peer.example.ts.net.' }, UserProfile: { ID: 1, LoginName: peer.login, DisplayName: peer.name ?? peer.login } }, null, 2) + '\\n');
} else if (command === 'serve' || command === 'funnel') {
  if (tailnet.refuseServe) { process.stderr.write(tailnet.refuseServe + '\\n'); process.exit(1); }
  const target = args[args.length - 1];
  const host = tailnet.dnsName ?? 'gw.example.ts.net';
  process.stdout.write((command === 'funnel' ? 'Available on the internet:' : 'Available within your tailnet:') + '\\n\\nhttps://' + host + '/\\n|-- proxy ' + target + '\\n\\nPress Ctrl+C to exit.\\n');
  const release = (signal) => { appendFileSync(log, JSON.stringify([signal, 'stopped']) + '\\n'); process.exit(0); };
  process.on('SIGTERM', () => release('SIGTERM'));
  process.on('SIGINT', () => release('SIGINT'));
  setInterval(() => {}, 1 << 30);
} else {
  process.stderr.write('unexpected tailscale ' + args.join(' ') + '\\n');
  process.exit(2);
}
`;
  const bin = join(dir, 'tailscale');
  writeFileSync(bin, script);
  chmodSync(bin, 0o755);
  return {
    dir,
    path: [dir, process.env.PATH ?? ''].join(delimiter),
    calls: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as string[]),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
