import type { CiaoService, Responder } from '@homebridge/ciao';
import type { Logger } from '../../../logging/logger.ts';
import { GATEWAY_SERVICE_TYPE } from './beacon.ts';

export type MdnsAdvertisement = {
  /** Replaces the TXT record in place (announced to the network by the responder). */
  updateTxt(txt: Record<string, string>): void;
  /** Sends goodbye packets, then shuts the responder down (its sockets and timers). Safe to call twice. */
  stop(): Promise<void>;
};

export type MdnsAdvertiseOptions = {
  instanceName: string;
  hostLabel: string;
  port: number;
  txt: Record<string, string>;
};

/**
 * One `_openclaw-gw._tcp` service on a responder of its own. Only this module imports `@homebridge/ciao` (~29 ms),
 * and it is itself imported only when LAN advertising is on, so an idle gateway never loads it. Probing,
 * conflict renames and interface changes are left to ciao (RFC 6762/6763); `advertise()` is not awaited at
 * start because on a network that drops multicast it can stay in probing indefinitely.
 */
export async function startMdnsAdvertisement(
  options: MdnsAdvertiseOptions,
  logger: Logger,
): Promise<MdnsAdvertisement> {
  const { getResponder } = await import('@homebridge/ciao');
  const responder: Responder = getResponder();
  const service: CiaoService = responder.createService({
    name: options.instanceName,
    type: GATEWAY_SERVICE_TYPE,
    port: options.port,
    domain: 'local',
    hostname: options.hostLabel,
    txt: options.txt,
  });
  service.on('name-change', (name: string) => logger.warn('mdns: instance name conflict resolved', { name }));
  service.on('hostname-change', (hostname: string) =>
    logger.warn('mdns: hostname conflict resolved', { hostname }),
  );
  let stopped: Promise<void> | undefined;
  service
    .advertise()
    .then(() => {
      if (!stopped)
        logger.info('mdns: advertising', {
          name: service.getFQDN(),
          port: options.port,
          host: service.getHostname(),
        });
    })
    .catch((error: Error) => {
      if (!stopped) logger.warn('mdns: advertising failed', { error: error.message });
    });
  return {
    updateTxt(txt) {
      if (!stopped) service.updateTxt(txt);
    },
    stop() {
      stopped ??= (async () => {
        try {
          await service.destroy();
        } catch (error) {
          logger.debug('mdns: withdrawing the service failed', { error: (error as Error).message });
        }
        await responder.shutdown();
      })();
      return stopped;
    },
  };
}
