import type { ServerCapabilities } from '@modelcontextprotocol/server';
import type { McpFeatures } from './session-channel.js';

/** What the server declares, from the features config switches on (initialize and server/discover). */
export function serverCapabilities(features: McpFeatures): ServerCapabilities {
  return {
    ...(features.tools ? { tools: { listChanged: true } } : {}),
    ...(features.resources ? { resources: { subscribe: true, listChanged: false } } : {}),
    ...(features.prompts ? { prompts: { listChanged: false } } : {}),
    ...(features.logging ? { logging: {} } : {}),
    ...(features.completions ? { completions: {} } : {}),
  };
}
