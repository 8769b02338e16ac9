import { createHash } from 'node:crypto';

/**
 * A stable 10-digit id without a leading zero, derived from `name`. Vertex AI endpoint ids must be numeric,
 * and a fixed id lets the deploy tool and the monitoring filters name the endpoint before it exists.
 */
export function numericId(name: string): string {
  const hash = BigInt(`0x${createHash('sha256').update(name).digest('hex').slice(0, 15)}`);
  return String(1_000_000_000n + (hash % 9_000_000_000n));
}

/** `modelstack-dev` → `modelstack_dev`: BigQuery datasets and feature stores take underscores, not hyphens. */
export function underscored(name: string): string {
  return name.replace(/-/g, '_');
}
