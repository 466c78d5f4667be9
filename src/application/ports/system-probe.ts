export interface SystemInfo {
  readonly os: { type: string; platform: string; release: string; arch: string; hostname: string };
  readonly cpu: { model: string; cores: number; loadAverage: readonly [number, number, number] };
  readonly memory: { totalBytes: number; freeBytes: number; usedPercent: number };
  readonly disk: { path: string; totalBytes: number; freeBytes: number; usedPercent: number } | null;
  readonly node: { version: string; pid: number; rssBytes: number };
  readonly uptime: { systemSeconds: number; processSeconds: number };
}

/** Port: facts about the machine the server runs on. */
export interface SystemProbe {
  info(diskPath: string): Promise<SystemInfo>;
}
