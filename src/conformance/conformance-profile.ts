import type { CommandBus } from '../application/bus/message-bus.js';
import type { PromptDefinition } from '../application/prompts/prompt-catalog.js';
import type { ResourceProvider } from '../application/resources/resource-catalog.js';
import type { ToolFamily } from '../application/tools/tool-definition.js';
import { ConformanceListenTools } from './conformance-listen.tools.js';
import { CONFORMANCE_PROMPTS } from './conformance.prompts.js';
import { ConformanceResources } from './conformance.resources.js';
import { ConformanceTools } from './conformance.tools.js';

/**
 * The conformance fixture profile (`mcp.fixtures.conformance`, never on by default): the tools,
 * resources and prompts the official MCP conformance suite calls by name, built through the same
 * registries as the product's own. The composition root imports this module only when the profile
 * is on. It lives under src/ rather than test/ because the built server must serve it (the suite
 * runs against dist/main.js) and one bundle keeps one copy of the application classes the fixtures
 * share with it (ToolFailure, ClientInterrupt… are matched with instanceof).
 */
export const CONFORMANCE_PROFILE = {
  prompts: CONFORMANCE_PROMPTS as readonly PromptDefinition[],
  resources: (): ResourceProvider => new ConformanceResources(),
  toolFamilies: (commands: CommandBus): ToolFamily[] => [new ConformanceTools(), new ConformanceListenTools(commands)],
};
