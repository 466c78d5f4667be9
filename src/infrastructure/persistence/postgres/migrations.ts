import type { Migration } from './migration.js';
import { outbox } from './migrations/001_outbox.js';
import { sessions } from './migrations/002_sessions.js';
import { toolExecutions } from './migrations/003_tool_executions.js';
import { conversations } from './migrations/004_conversations.js';
import { tasks } from './migrations/005_tasks.js';
import { statelessExecutions } from './migrations/006_stateless_executions.js';
import { conversationsV2 } from './migrations/007_conversations_v2.js';
import { apiKeys } from './migrations/008_api_keys.js';
import { sessionPrincipal } from './migrations/009_session_principal.js';

/** Every migration, oldest first. Append new ones; never edit or reorder an applied one. */
export const MIGRATIONS: readonly Migration[] = [outbox, sessions, toolExecutions, conversations, tasks, statelessExecutions, conversationsV2, apiKeys, sessionPrincipal];
