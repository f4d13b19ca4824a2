/**
 * A refusal of the audit SDK that an operator can act on (a hole in the indexed span, another deployment on the same
 * chain, a threshold out of range, an edited migration): its message is one line that says what to do. The tasks print
 * it as it is; anything else is a fault and keeps its stack.
 */
export class AuditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuditError";
  }
}
