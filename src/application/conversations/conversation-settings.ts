/**
 * What the conversation use cases read of the `claude` config section: plain values, so the
 * application never sees the config schema (and never the API key, which stays in the adapter).
 */
export interface ConversationSettings {
  /** The model a new conversation uses unless the call names one. */
  readonly model: string;
  readonly maxTokens: number;
  /** The operator's system prompt, sent before the caller's own. */
  readonly systemPrompt?: string;
  /** Model calls per turn, unless the call asks for fewer. */
  readonly maxIterations: number;
  /** The tfo-mcp tools a conversation may ever offer the model (claude.allowed_tools). */
  readonly allowedTools: readonly string[];
  /** `api`: the configured LlmClient; `sampling`: the calling client's model through MCP sampling. */
  readonly backend: 'api' | 'sampling';
  /** Estimated tokens of history sent per model call; older tool results and exchanges are trimmed past it. */
  readonly contextBudgetTokens: number;
}

