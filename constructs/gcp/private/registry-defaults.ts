import type { ModelRegistry } from '../model-registry';

/** Where a construct's placement can come from: its own props, else the registry it builds on. */
interface Placement {
  readonly registry: ModelRegistry;
  readonly namePrefix?: string;
  readonly project?: string;
  readonly region?: string;
}

/** `props` with `namePrefix`, `project` and `region` taken from its registry where left out. */
export function withRegistryDefaults<P extends Placement>(props: P): P & { readonly namePrefix: string; readonly project: string; readonly region: string } {
  const { registry } = props;
  return { ...props, namePrefix: props.namePrefix ?? registry.namePrefix, project: props.project ?? registry.project, region: props.region ?? registry.region };
}
