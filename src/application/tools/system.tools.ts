import { z } from 'zod';
import type { SystemProbe } from '../ports/system-probe.js';
import type { Workspace } from '../ports/workspace.js';
import type { ToolDefinition, ToolFamily, ToolOutput } from './tool-definition.js';
import { defineTool, outputSchemaOf, structured } from './define-tool.js';
import { toToolFailure } from './tool-failures.js';

const MAX_ECHO_CHARS = 100_000;

const echoInput = z.object({
  message: z.string().max(MAX_ECHO_CHARS).describe(`Text to return unchanged (at most ${MAX_ECHO_CHARS} characters).`),
});
const echoOutput = z.object({ message: z.string() });

const systemInfoInput = z.object({});
const systemInfoOutput = z.object({
  os: z.object({ type: z.string(), platform: z.string(), release: z.string(), arch: z.string(), hostname: z.string() }),
  cpu: z.object({ model: z.string(), cores: z.number().int(), loadAverage: z.array(z.number()).length(3) }),
  memory: z.object({ totalBytes: z.number(), freeBytes: z.number(), usedPercent: z.number() }),
  disk: z.object({ path: z.string(), totalBytes: z.number(), freeBytes: z.number(), usedPercent: z.number() }).nullable(),
  node: z.object({ version: z.string(), pid: z.number().int(), rssBytes: z.number() }),
  uptime: z.object({ systemSeconds: z.number(), processSeconds: z.number() }),
});

/** `echo` (a connectivity check, and the benchmark's hot path) and `system_info`. */
export class SystemTools implements ToolFamily {
  private readonly definitions: readonly ToolDefinition<unknown>[];

  constructor(
    private readonly probe: SystemProbe,
    private readonly workspace: Workspace,
  ) {
    // Schemas are converted once here, not per tools/list or per call.
    this.definitions = [this.echo(), this.systemInfo()];
  }

  tools(): readonly ToolDefinition<unknown>[] {
    return this.definitions;
  }

  private echo(): ToolDefinition<unknown> {
    return defineTool<z.infer<typeof echoInput>>({
      props: {
        name: 'echo',
        title: 'Echo',
        description: 'Returns the given message unchanged. Use it to check that the server responds.',
        outputSchema: () => outputSchemaOf(echoOutput),
        annotations: { title: 'Echo', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      },
      input: echoInput,
      // Kept to two small objects and no awaits: this runs on every benchmark request.
      run: (input): Promise<ToolOutput> =>
        Promise.resolve({ content: [{ type: 'text', text: input.message }], structuredContent: { message: input.message } }),
    });
  }

  private systemInfo(): ToolDefinition<unknown> {
    return defineTool<z.infer<typeof systemInfoInput>>({
      props: {
        name: 'system_info',
        title: 'System information',
        description:
          'Reports the host the server runs on: OS, CPU (model, cores, load average), memory, disk usage of the ' +
          'first workspace root (null when it cannot be measured), Node.js version and uptimes. Values change between calls.',
        outputSchema: () => outputSchemaOf(systemInfoOutput),
        annotations: { title: 'System information', readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      },
      input: systemInfoInput,
      run: async (): Promise<ToolOutput> => {
        const diskPath = this.workspace.roots()[0] ?? process.cwd();
        try {
          return structured({ ...(await this.probe.info(diskPath)) });
        } catch (error) {
          throw toToolFailure(error);
        }
      },
    });
  }
}
