/** Why a workflow task response is refused: the WorkflowTaskFailedCause and the real server's message. */
export interface CommandFailure {
  cause: number;
  message: string;
}
