// Kept free of aws-cdk-lib: the CLI (resolve-versions) names package groups without loading it.

/** The model package group of `model` in a registry named `namePrefix`: `<namePrefix>-<model>`. */
export function packageGroupName(namePrefix: string, model: string): string {
  return `${namePrefix}-${model}`;
}
