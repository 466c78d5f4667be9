import type { TaskService } from '../../../src/application/tasks/task-service.js';
import type { McpDependencies } from '../../../src/presentation/mcp/session-channel.js';
import { statelessCapabilities } from '../../../src/presentation/mcp/stateless/stateless-server.js';

const FEATURES = { tools: true, resources: true, prompts: true, logging: true, completions: true };

function deps(overrides: Partial<McpDependencies>): McpDependencies {
  return { features: FEATURES, ...overrides } as McpDependencies;
}

describe('statelessCapabilities (what server/discover declares on 2026-07-28)', () => {
  it('with tasks served - the extension under capabilities.extensions, no v1 tasks slot', () => {
    const capabilities = statelessCapabilities(deps({ tasks: {} as TaskService }));
    expect(capabilities.extensions).toEqual({ 'io.modelcontextprotocol/tasks': {} });
    expect(capabilities).not.toHaveProperty('tasks');
  });

  it('without tasks (mcp.tasks.enabled=false) - no extension declared', () => {
    expect(statelessCapabilities(deps({}))).not.toHaveProperty('extensions');
  });

  it('resource subscriptions are not declared (they need a session), the rest as on sessions', () => {
    const capabilities = statelessCapabilities(deps({}));
    expect(capabilities.resources).toEqual({ subscribe: false, listChanged: false });
    expect(capabilities.tools).toEqual({ listChanged: true });
    expect(capabilities.logging).toEqual({});
  });

  it('resources switched off - no resources entry at all', () => {
    expect(statelessCapabilities(deps({ features: { ...FEATURES, resources: false } }))).not.toHaveProperty('resources');
  });
});
