import 'cdktf/lib/testing/adapters/jest';
import { Testing } from 'cdktf';
import type { Construct } from 'constructs';

export interface Synthesized {
  json: string;
  resources: Record<string, Record<string, any>>;
}

/** Synthesizes what `build` adds to a test stack; `resources` is type → logical id → config. */
export function synth(build: (scope: Construct) => void): Synthesized {
  const json = Testing.synthScope(build);
  return { json, resources: (JSON.parse(json) as { resource?: Record<string, Record<string, any>> }).resource ?? {} };
}

/** Every resource of `type`, in creation order. */
export function all(s: Synthesized, type: string): any[] {
  return Object.values(s.resources[type] ?? {});
}
