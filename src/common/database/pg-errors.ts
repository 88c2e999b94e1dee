/** Postgres SQLSTATE for a unique constraint violation. */
const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: unknown } } | null)?.driverError;
  const code = driverError?.code ?? (error as { code?: unknown } | null)?.code;
  return code === UNIQUE_VIOLATION;
}

/** The constraint or index a violation names (`UQ_users_email`), to tell one duplicate from another. */
export function violatedConstraint(error: unknown): string | undefined {
  const driverError = (error as { driverError?: { constraint?: unknown } } | null)?.driverError;
  const constraint = driverError?.constraint ?? (error as { constraint?: unknown } | null)?.constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}
