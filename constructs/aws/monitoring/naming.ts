import { Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * Derives each monitoring segment's construct id from what it monitors (`<Kind><Label>`, such as `FunctionChurnInference`),
 * so callers need not invent a scope per monitored resource to keep ids apart. Two segments of one kind whose labels
 * give the same id in one scope are refused with both labels named, rather than numbered by call order (which would
 * change logical ids when the order changes).
 */
export class SegmentNaming {
  private readonly taken = new WeakMap<Construct, Map<string, string>>();

  /** The id of a `kind` segment for `label` in `scope`. */
  segmentId(scope: Construct, kind: string, label: string): string {
    if (Token.isUnresolved(label)) throw new Error(`PlatformMonitoring: the ${kind} segment's label is a token; pass a literal label`);
    const id = kind + pascalCase(label);
    const inScope = this.taken.get(scope) ?? new Map<string, string>();
    this.taken.set(scope, inScope);
    const previous = inScope.get(id);
    if (previous !== undefined) {
      throw new Error(`PlatformMonitoring: ${kind} segments "${previous}" and "${label}" in ${scope.node.path || 'the app'} would share the id ${id}: give one another label`);
    }
    inScope.set(id, label);
    return id;
  }
}

/** `churn inference` and `modelstack-prod-churn` → `ChurnInference`, `ModelstackProdChurn`. */
export function pascalCase(label: string): string {
  return label
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
}
