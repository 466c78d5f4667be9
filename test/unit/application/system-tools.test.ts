import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SystemInfo } from '../../../src/application/ports/system-probe.js';
import type { ToolContext, ToolDefinition } from '../../../src/application/tools/tool-definition.js';
import { NodeWorkspace } from '../../../src/infrastructure/filesystem/node-workspace.js';
import { OsSystemProbe } from '../../../src/infrastructure/system/os-system-probe.js';
import { SystemTools } from '../../../src/application/tools/system.tools.js';

const ctx: ToolContext = { sessionId: 's', signal: new AbortController().signal, progress() {}, log() {} };

describe('SystemTools', () => {
  let root: string;
  let tools: Map<string, ToolDefinition<unknown>>;

  beforeAll(async () => {
    root = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-system-tools-')));
    const family = new SystemTools(new OsSystemProbe(), new NodeWorkspace([root]));
    tools = new Map(family.tools().map((tool) => [tool.props.name, tool as ToolDefinition<unknown>]));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  function tool(name: string): ToolDefinition<unknown> {
    const found = tools.get(name);
    if (!found) throw new Error(`no tool ${name}`);
    return found;
  }

  it('tools - lists echo and system_info with their hints', () => {
    expect([...tools.keys()]).toEqual(['echo', 'system_info']);
    expect(tool('echo').props.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true, destructiveHint: false, openWorldHint: false });
    expect(tool('system_info').props.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: false, openWorldHint: false });
  });

  it.each(['hello', '', '  spaced\n\ttabs  ', 'üñíçødé ✓ 🚀', '{"looks":"like json"}'])('echo - %j - returns the message exactly', async (message) => {
    const echo = tool('echo');
    const output = await echo.run(echo.input.parse({ message }), ctx);
    expect(output.content).toEqual([{ type: 'text', text: message }]);
    expect(output.structuredContent).toEqual({ message });
  });

  it('echo - message over 100 000 characters - is rejected by the input schema', () => {
    const { input } = tool('echo');
    expect(input.safeParse({ message: 'x'.repeat(100_000) }).success).toBe(true);
    expect(input.safeParse({ message: 'x'.repeat(100_001) }).success).toBe(false);
    expect(input.safeParse({}).success).toBe(false);
  });

  it('system_info - returns sane numbers, disk measured at the first root', async () => {
    const info = tool('system_info');
    const output = await info.run(info.input.parse({}), ctx);
    const data = output.structuredContent as unknown as SystemInfo;
    expect(data.os.platform).toBe(process.platform);
    expect(data.cpu.cores).toBeGreaterThanOrEqual(1);
    expect(data.cpu.loadAverage).toHaveLength(3);
    expect(data.memory.totalBytes).toBeGreaterThan(0);
    expect(data.memory.freeBytes).toBeLessThanOrEqual(data.memory.totalBytes);
    expect(data.memory.usedPercent).toBeGreaterThanOrEqual(0);
    expect(data.memory.usedPercent).toBeLessThanOrEqual(100);
    expect(data.disk).toMatchObject({ path: root });
    expect(data.disk?.totalBytes).toBeGreaterThan(0);
    expect(data.node).toMatchObject({ version: process.version, pid: process.pid });
    expect(data.node.rssBytes).toBeGreaterThan(0);
    expect(JSON.parse((output.content[0] as { text: string }).text)).toEqual(output.structuredContent);
  });
});

describe('OsSystemProbe', () => {
  it('info - disk path that does not exist - reports disk as null', async () => {
    const info = await new OsSystemProbe().info('/tfo-no-such-dir/xyz');
    expect(info.disk).toBeNull();
    expect(info.memory.totalBytes).toBeGreaterThan(0);
  });
});
