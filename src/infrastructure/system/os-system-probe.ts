import { statfs } from 'node:fs/promises';
import os from 'node:os';
import type { SystemInfo, SystemProbe } from '../../application/ports/system-probe.js';

/** Reads the machine's facts from node:os and process; disk usage through statfs. */
export class OsSystemProbe implements SystemProbe {
  async info(diskPath: string): Promise<SystemInfo> {
    const cpus = os.cpus();
    const [one, five, fifteen] = os.loadavg();
    const totalMemory = os.totalmem();
    const freeMemory = os.freemem();
    return {
      os: { type: os.type(), platform: os.platform(), release: os.release(), arch: os.arch(), hostname: os.hostname() },
      cpu: {
        model: cpus[0]?.model.trim() || 'unknown',
        // os.cpus() can be empty in some containers; availableParallelism never is.
        cores: Math.max(os.availableParallelism(), 1),
        loadAverage: [round(one), round(five), round(fifteen)],
      },
      memory: { totalBytes: totalMemory, freeBytes: freeMemory, usedPercent: percent(totalMemory - freeMemory, totalMemory) },
      disk: await diskOf(diskPath),
      node: { version: process.version, pid: process.pid, rssBytes: process.memoryUsage.rss() },
      uptime: { systemSeconds: Math.round(os.uptime()), processSeconds: Math.round(process.uptime()) },
    };
  }
}

async function diskOf(diskPath: string): Promise<SystemInfo['disk']> {
  try {
    const stats = await statfs(diskPath);
    const totalBytes = stats.blocks * stats.bsize;
    const usedBytes = (stats.blocks - stats.bfree) * stats.bsize;
    // Like df: free is what an unprivileged user may still write; used% leaves the root reserve out.
    const freeBytes = stats.bavail * stats.bsize;
    return { path: diskPath, totalBytes, freeBytes, usedPercent: percent(usedBytes, usedBytes + freeBytes) };
  } catch {
    // The port reports "unknown" as null: a missing mount or an unsupported file system is not an error.
    return null;
  }
}

function percent(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0;
}

function round(value: number | undefined): number {
  return Math.round((value ?? 0) * 100) / 100;
}
