import type { ToolExecution } from './tool-execution.js';

/** Port. Saves an execution's record and its events atomically. */
export interface ToolExecutionRepository {
  save(execution: ToolExecution): Promise<void>;
}
