import type { DiscoveryMode, TailscaleMode } from '../../config/types.ts';

/**
 * How the gateway is exposed and announced right now, as the early-runtime services leave it: what `status`
 * reports (and the docs' troubleshooting steps ask about). Plain data, replaced field by field.
 */
export type NetworkStatus = {
  tls: { enabled: boolean; fingerprintSha256?: string };
  mdns: { mode: DiscoveryMode; advertising: boolean; instanceName?: string; blockedBy?: string };
  wideArea: { domain?: string; zonePath?: string; error?: string };
  tailscale: {
    mode: TailscaleMode;
    state: 'off' | 'starting' | 'active' | 'failed';
    /** The tailnet (or public) HTTPS URL once the route is up. */
    url?: string;
    error?: string;
  };
};

export function initialNetworkStatus(tlsFingerprintSha256: string | undefined): NetworkStatus {
  return {
    tls: tlsFingerprintSha256
      ? { enabled: true, fingerprintSha256: tlsFingerprintSha256 }
      : { enabled: false },
    mdns: { mode: 'off', advertising: false },
    wideArea: {},
    tailscale: { mode: 'off', state: 'off' },
  };
}
