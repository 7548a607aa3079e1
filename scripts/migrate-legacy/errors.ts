/** A failure the operator must act on; the CLI prints its message (never a stack) and exits 1. */
export class MigrationError extends Error {
  override name = 'MigrationError';
}
