import type { BudgetNames } from './in-flight-budget.js';

/** The budget of bytes held by file reads (read_file and file:// resources) and its settings. */
export const READ_BUDGET: BudgetNames = {
  what: 'bytes of file reads in flight',
  globalSetting: 'execution.security.max_read_bytes_in_flight',
  sessionSetting: 'execution.security.max_read_bytes_in_flight_per_session',
  suggestion: 'read a smaller range (offset/length or start_line/end_line)',
};

export const EXECUTION_BUDGET: BudgetNames = {
  what: 'running commands',
  globalSetting: 'execution.security.max_concurrent_executions',
  sessionSetting: 'execution.security.max_concurrent_executions_per_session',
};
