import type { Prompt } from '../../domain/prompt/prompt.js';

export type PromptContent =
  | { type: 'text'; text: string }
  | { type: 'image'; data: string; mimeType: string }
  | { type: 'audio'; data: string; mimeType: string }
  | { type: 'resource'; resource: { uri: string; mimeType?: string; text?: string; blob?: string } };

export interface PromptMessage {
  readonly role: 'user' | 'assistant';
  readonly content: PromptContent;
}

export interface PromptResult {
  readonly description?: string;
  readonly messages: PromptMessage[];
}

export interface PromptDefinition {
  readonly prompt: Prompt;
  /** Arguments are strings (MCP prompt arguments); required ones were checked before this is called. */
  render(args: Readonly<Record<string, string>>): PromptResult;
  /** Suggested values for one argument, given what the user typed so far. */
  complete?(argument: string, value: string): string[];
}

export class PromptCatalog {
  private readonly prompts = new Map<string, PromptDefinition>();

  constructor(definitions: readonly PromptDefinition[]) {
    for (const definition of definitions) this.prompts.set(definition.prompt.name, definition);
  }

  list(): Prompt[] {
    return [...this.prompts.values()].map((d) => d.prompt);
  }

  find(name: string): PromptDefinition | undefined {
    return this.prompts.get(name);
  }
}
