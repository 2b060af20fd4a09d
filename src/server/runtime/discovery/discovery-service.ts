import { hostname } from 'node:os';
import { anyChanged } from '../../../config/diff.ts';
import { LOOPBACK_BINDS } from '../../../config/load.ts';
import type { GatewayConfig } from '../../../config/types.ts';
import type { GatewayContext } from '../../context.ts';
import type { ServiceDefinition } from '../../registry.ts';
import { type Beacon, beaconTxt, hostLabel, instanceName } from './beacon.ts';
import { advertisedCliPath, discoveryEnv, lanAdvertisingBlocked } from './discovery-env.ts';
import type { MdnsAdvertisement } from './mdns-advertiser.ts';

/** Applied live (OpenClaw's hot-reload table); `discovery.wideArea` waits for a restart. */
const LIVE_KEYS = ['discovery.mdns.mode'];

/**
 * Discovery: the `_openclaw-gw._tcp` beacon on the LAN (mDNS, `discovery.mdns.mode`) and in a unicast DNS-SD
 * zone (`discovery.wideArea.domain`). A mode change replaces the advertisement and rewrites the zone's TXT;
 * stop withdraws the service (goodbye packets) and shuts its responder. Operations run one after another, so a
 * burst of config changes never leaves two advertisements up. A factory: each gateway owns its advertisement.
 */
export function discoveryService(): ServiceDefinition {
  let advertisement: MdnsAdvertisement | undefined;
  let advertisedMode: string | undefined;
  let unsubscribe: (() => void) | undefined;
  let queue: Promise<void> = Promise.resolve();
  let stopped = false;

  const enqueue = (ctx: GatewayContext, step: () => Promise<void>) => {
    // Any step that completes (advertising, withdrawn, zone written) clears an earlier failure.
    queue = queue
      .then(step)
      .then(() => ctx.readiness.setDegraded('discovery', undefined))
      .catch((error: Error) => {
        ctx.logger.warn('discovery update failed', { error: error.message });
        ctx.readiness.setDegraded('discovery', error.message);
      });
    return queue;
  };

  const apply = async (ctx: GatewayContext, config: GatewayConfig) => {
    if (stopped) return;
    const mode = config.discovery.mdns.mode;
    const domain = config.discovery.wideArea.domain;
    const blocked = mode === 'off' ? undefined : lanAdvertisingBlocked(ctx.env);
    const lan = mode !== 'off' && !blocked;
    if (!lan && !domain) {
      await withdraw();
      ctx.network.mdns = { mode, advertising: false, ...(blocked ? { blockedBy: blocked } : {}) };
      if (blocked) ctx.logger.info(`mdns: not advertising: ${blocked}`);
      return;
    }
    const beacon = await buildBeacon(ctx, config);
    if (domain) await publishZone(ctx, domain, beacon);
    if (!lan) {
      await withdraw();
      ctx.network.mdns = { mode, advertising: false, ...(blocked ? { blockedBy: blocked } : {}) };
      if (blocked) ctx.logger.info(`mdns: not advertising: ${blocked}`);
      return;
    }
    const txt = beaconTxt(beacon);
    // Only the TXT depends on the mode; the instance is re-announced in place rather than withdrawn and probed
    // again, so browsers never see the gateway disappear on a mode change.
    if (advertisement && advertisedMode !== undefined) advertisement.updateTxt(txt);
    else {
      const { startMdnsAdvertisement } = await import('./mdns-advertiser.ts');
      if (stopped) return;
      advertisement = await startMdnsAdvertisement(
        { instanceName: beacon.instanceName, hostLabel: beacon.hostLabel, port: beacon.gatewayPort, txt },
        ctx.logger,
      );
    }
    advertisedMode = mode;
    ctx.network.mdns = { mode, advertising: true, instanceName: beacon.instanceName };
  };

  const withdraw = async () => {
    const current = advertisement;
    advertisement = undefined;
    advertisedMode = undefined;
    await current?.stop();
  };

  return {
    name: 'discovery',
    phase: 'early-runtime',
    async start(ctx) {
      stopped = false;
      ctx.network.mdns = { mode: ctx.configState.config.discovery.mdns.mode, advertising: false };
      await enqueue(ctx, () => apply(ctx, ctx.configState.config));
      unsubscribe = ctx.config.subscribe((change) => {
        if (!anyChanged(change.before, change.after, LIVE_KEYS)) return;
        void enqueue(ctx, () => apply(ctx, change.after));
      });
    },
    async stop(ctx) {
      unsubscribe?.();
      unsubscribe = undefined;
      stopped = true;
      await queue;
      await withdraw();
      ctx.network.mdns = { ...ctx.network.mdns, advertising: false };
    },
  };
}

async function buildBeacon(ctx: GatewayContext, config: GatewayConfig): Promise<Beacon> {
  const { env } = ctx;
  const displayName =
    hostname()
      .trim()
      .replace(/\.local$/i, '') || 'clawgate';
  const full = config.discovery.mdns.mode === 'full';
  const sshPort = Number(discoveryEnv(env, 'SSH_PORT'));
  return {
    displayName,
    instanceName: instanceName(displayName),
    hostLabel: hostLabel(discoveryEnv(env, 'MDNS_HOSTNAME'), hostname()),
    gatewayPort: ctx.boundPort,
    tls: ctx.network.tls.enabled,
    tlsSha256: ctx.network.tls.fingerprintSha256,
    directReachable: !LOOPBACK_BINDS.has(config.gateway.bind),
    mode: config.discovery.mdns.mode,
    sshPort: full && Number.isInteger(sshPort) && sshPort > 0 && sshPort < 65536 ? sshPort : undefined,
    cliPath: full ? advertisedCliPath(env, process.argv) : undefined,
    tailnetDns: await tailnetDnsHint(ctx, config),
  };
}

/**
 * The MagicDNS name clients on the tailnet can use: `…_TAILNET_DNS`, else asked of the daemon, but only when
 * Tailscale exposure is configured, so a host that merely has the CLI is never queried.
 */
async function tailnetDnsHint(ctx: GatewayContext, config: GatewayConfig): Promise<string | undefined> {
  const configured = discoveryEnv(ctx.env, 'TAILNET_DNS')?.replace(/\.$/, '');
  if (configured) return configured;
  if (config.gateway.tailscale.mode === 'off') return undefined;
  const { TailscaleCli } = await import('../tailscale/tailscale-cli.ts');
  try {
    return (await new TailscaleCli(ctx.env).self()).dnsName;
  } catch {
    return undefined;
  }
}

async function publishZone(ctx: GatewayContext, domain: string, beacon: Beacon): Promise<void> {
  const [{ TailscaleCli }, { tailnetAddresses }, { writeZone, zonePath }] = await Promise.all([
    import('../tailscale/tailscale-cli.ts'),
    import('../tailscale/tailnet-address.ts'),
    import('./wide-area-zone.ts'),
  ]);
  const addresses = await tailnetAddresses(new TailscaleCli(ctx.env));
  if (!addresses.ipv4) {
    const error = 'no Tailscale IPv4 address found (interfaces or tailscale status); the zone is not written';
    ctx.logger.warn(`wide-area discovery: ${error}`, { domain });
    ctx.network.wideArea = { domain, zonePath: zonePath(ctx.paths.stateDir, domain), error };
    return;
  }
  const result = writeZone(
    ctx.paths.stateDir,
    domain,
    beacon,
    { ipv4: addresses.ipv4, ipv6: addresses.ipv6 },
    new Date(ctx.now()),
  );
  ctx.network.wideArea = { domain, zonePath: result.path };
  ctx.logger.info(`wide-area DNS-SD zone ${result.changed ? 'written' : 'unchanged'}`, {
    domain,
    path: result.path,
  });
}
