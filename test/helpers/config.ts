import { demoConfig } from '../../infra/config/demo';
import { ConfigError, parseConfig } from '../../infra/config/load';

/** Tests break the demo on purpose, so they work on an untyped copy. */
export const demo = (): any => structuredClone(demoConfig);

/** The problems a config is rejected with; fails the test if it is accepted. */
export function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw, 'test');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected the config to be rejected');
}
