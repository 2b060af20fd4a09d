import { execFile } from 'node:child_process';
import type { TailnetIdentity } from '../../auth/tailscale-ingress.ts';

/** Each CLI call's budget: the daemon answers locally, so a slow one is a stuck daemon, not a slow network. */
export const TAILSCALE_CLI_TIMEOUT_MS = 5_000;
const TAILSCALE_CLI_MAX_OUTPUT_BYTES = 400_000;

/** This node as `tailscale status --json` reports it. */
export type TailnetSelf = { dnsName: string | undefined; ipv4: string | undefined; ipv6: string | undefined };

export class TailscaleCliError extends Error {
  /** The binary is not installed (or not on PATH): the operator's fix differs from a failing daemon. */
  readonly missing: boolean;
  constructor(message: string, missing: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TailscaleCliError';
    this.missing = missing;
  }
}

/**
 * The `tailscale` command, run from the gateway's environment (its PATH finds the binary, `TS_SOCKET` and the
 * like reach it). One small surface: the exposure and the identity check both go through it.
 */
export class TailscaleCli {
  readonly #env: NodeJS.ProcessEnv;
  readonly binary: string;

  constructor(env: NodeJS.ProcessEnv) {
    this.#env = env;
    this.binary = env.CLAWGATE_TAILSCALE_BIN?.trim() || 'tailscale';
  }

  get env(): NodeJS.ProcessEnv {
    return this.#env;
  }

  run(args: readonly string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.binary,
        args,
        {
          env: this.#env,
          timeout: TAILSCALE_CLI_TIMEOUT_MS,
          maxBuffer: TAILSCALE_CLI_MAX_OUTPUT_BYTES,
          encoding: 'utf8',
        },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            reject(
              new TailscaleCliError(
                `the tailscale CLI (${this.binary}) is not installed or not on PATH`,
                true,
                { cause: error },
              ),
            );
            return;
          }
          const detail = stderr.trim() || stdout.trim() || error.message;
          reject(new TailscaleCliError(`tailscale ${args[0]} failed: ${detail}`, false, { cause: error }));
        },
      );
    });
  }

  async whois(ip: string): Promise<TailnetIdentity | undefined> {
    const parsed = jsonObject(await this.run(['whois', '--json', ip]));
    const profile = record(parsed.UserProfile) ?? record(parsed.User) ?? {};
    const login = text(profile.LoginName) ?? text(profile.Login) ?? text(parsed.LoginName);
    if (!login) return undefined;
    return { login, name: text(profile.DisplayName) ?? text(parsed.DisplayName) };
  }

  async self(): Promise<TailnetSelf> {
    const self = record(jsonObject(await this.run(['status', '--json'])).Self) ?? {};
    const ips = Array.isArray(self.TailscaleIPs)
      ? self.TailscaleIPs.filter((ip) => typeof ip === 'string')
      : [];
    return {
      dnsName: text(self.DNSName)?.replace(/\.$/, ''),
      ipv4: ips.find((ip) => !ip.includes(':')),
      ipv6: ips.find((ip) => ip.includes(':')),
    };
  }
}

/** The CLI may print a warning line before its JSON (an outdated client, a health note): read from the first `{`. */
function jsonObject(stdout: string): Record<string, unknown> {
  const start = stdout.indexOf('{');
  if (start < 0) throw new TailscaleCliError('tailscale printed no JSON', false);
  const parsed: unknown = JSON.parse(stdout.slice(start));
  return record(parsed) ?? {};
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}
