// Kept free of cdktf: synth calls it for an AWS-only config too, whose install may have no cdktf.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The stacks the last synth wrote into `outdir`, by cdktf's `manifest.json` (`{ stacks: { <name>: {...} } }`); none
 * when there is no manifest or it cannot be read.
 */
export function synthesizedStacks(outdir: string): string[] {
  try {
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { stacks?: Record<string, unknown> };
    return Object.keys(manifest.stacks ?? {});
  } catch {
    return [];
  }
}

/** Whether `dir` holds a Terraform state file (`*.tfstate`, `*.tfstate.backup`, ...) at any depth. */
function holdsState(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((entry) =>
    entry.isDirectory() ? holdsState(join(dir, entry.name)) : /\.tfstate/.test(entry.name),
  );
}

/** What {@link removeStaleStacks} did. */
export interface StaleStacks {
  /** Stack folders removed: the previous synth wrote them, this one did not. */
  readonly removed: string[];
  /** Stale stack folders kept because they hold Terraform state (`state: { local: true }`), which is never deleted. */
  readonly kept: string[];
}

/**
 * Removes `outdir/stacks/<name>` for each stack a previous synth wrote (`previous`, from its manifest) that this synth
 * did not (`current`), so `cdktf.out/` holds only what the config describes. Only folders cdktf's own manifest listed
 * are touched, and a folder with a Terraform state file is kept: a local state is the only record of what it deployed.
 */
export function removeStaleStacks(outdir: string, previous: readonly string[], current: readonly string[]): StaleStacks {
  const removed: string[] = [];
  const kept: string[] = [];
  for (const name of previous) {
    // A manifest key is a stack id; anything that is not a plain folder name is left alone.
    if (current.includes(name) || !/^[\w.-]+$/.test(name) || name === '.' || name === '..') continue;
    const dir = join(outdir, 'stacks', name);
    if (!existsSync(dir)) continue;
    if (holdsState(dir)) {
      kept.push(name);
      continue;
    }
    rmSync(dir, { recursive: true, force: true });
    removed.push(name);
  }
  return { removed, kept };
}
