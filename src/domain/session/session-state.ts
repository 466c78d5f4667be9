/** The MCP lifecycle as one state machine; see Session for the transitions. */
export const SESSION_STATES = ['CREATED', 'INITIALIZING', 'READY', 'CLOSING', 'CLOSED'] as const;
export type SessionState = (typeof SESSION_STATES)[number];

export const TRANSPORTS = ['stdio', 'http', 'sse', 'memory'] as const;
export type TransportKind = (typeof TRANSPORTS)[number];
