import type { Command } from 'commander';
import type { CliContext } from './io';

/** `modelstack config schema`: prints the platform config's JSON Schema (for editors and other tools). */
export function registerConfig(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('the platform config: its JSON Schema');
  config
    .command('schema')
    .description('print the JSON Schema of the platform config (yaml-language-server, editors, CI checks)')
    .action(async () => {
      // Loaded on use: other commands do not need the schema's JSON form.
      const { platformJsonSchema } = await import('../infra/config/json-schema');
      ctx.io.stdout(`${JSON.stringify(platformJsonSchema(), null, 2)}\n`);
    });
}
