import { arch, cpus, freemem, hostname, loadavg, platform, release, totalmem } from 'node:os';
import { processMemory } from '../health/process-memory.ts';
import { READ } from '../server/authz/access.ts';
import { defineMethods } from '../server/method-types.ts';
import { diskSpace, lanAddress, machineDisplayName, runtimeOsLabel } from './host-facts.ts';

export const systemMethods = defineMethods({
  /**
   * The gateway host, in OpenClaw's `SystemInfoResult` field order: what the Control UI's Systems and Devices
   * pages show for the gateway machine (name, OS, CPU, load, memory, the state directory's disk). No secrets:
   * the state directory's path is the only path, as on OpenClaw.
   */
  'system.info': {
    access: READ,
    handler: async (_params, { gateway }) => {
      const processors = cpus();
      const cpuModel = processors[0]?.model.trim();
      const loadAverage = loadavg();
      const stateDir = gateway.paths.stateDir;
      const [machineName, osLabel, lan, disk] = await Promise.all([
        machineDisplayName(),
        runtimeOsLabel(),
        lanAddress(),
        diskSpace(stateDir),
      ]);
      return {
        machineName,
        hostname: hostname(),
        platform: platform(),
        release: release(),
        arch: arch(),
        osLabel,
        ...(lan ? { lanAddress: lan } : {}),
        port: gateway.boundPort,
        nodeVersion: process.version,
        pid: process.pid,
        processInstanceId: gateway.bootId,
        uptimeMs: gateway.now() - gateway.startedAt,
        cpuCount: processors.length,
        ...(cpuModel ? { cpuModel } : {}),
        // All zeros is what Windows reports: no load figures, rather than a false "idle".
        ...(loadAverage.some((value) => value !== 0) ? { loadAverage } : {}),
        memoryTotalBytes: totalmem(),
        memoryFreeBytes: freemem(),
        eventLoop: gateway.healthSnapshot().eventLoop,
        processMemory: processMemory(),
        ...(disk
          ? { diskTotalBytes: disk.totalBytes, diskAvailableBytes: disk.availableBytes, diskPath: stateDir }
          : {}),
        // clawgate has no utility model (OpenClaw's session observer and summaries run on one).
        defaultAgentUtilityModel: { status: 'unavailable' },
      };
    },
  },
});
