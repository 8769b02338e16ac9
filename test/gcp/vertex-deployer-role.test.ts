import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VertexDeployerRole } from '../../constructs/gcp/vertex-deployer-role';

/**
 * The permission the Vertex AI REST reference lists under "IAM Permissions" for each method `vertex-deploy` calls
 * (https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.models/<method> and
 * .../projects.locations.endpoints/<method>). Polling an operation (`GET <resource>/operations/<id>`) is covered by
 * the `get` permission of the resource it belongs to.
 */
const DOCUMENTED: Record<string, string> = {
  'models.get': 'aiplatform.models.get',
  'models.upload': 'aiplatform.models.upload',
  'models.mergeVersionAliases': 'aiplatform.models.update',
  'endpoints.get': 'aiplatform.endpoints.get',
  'endpoints.patch': 'aiplatform.endpoints.update',
  'endpoints.deployModel': 'aiplatform.endpoints.deploy',
  'endpoints.undeployModel': 'aiplatform.endpoints.undeploy',
};

/** The Vertex AI methods the CLI calls: the first argument of every `client.call(...)` and `client.find(...)`. */
function methodsCalled(): string[] {
  const dir = join(__dirname, '../../cli/vertex-deploy');
  const source = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
  return [...new Set([...source.matchAll(/client\.(?:call|find)(?:<[^>]*>)?\(\s*'([\w.]+)'/g)].map((m) => m[1]))].sort();
}

describe('VertexDeployerRole', () => {
  test('holds the documented permission of every Vertex AI method vertex-deploy calls, and nothing else', () => {
    const methods = methodsCalled();
    expect(methods).toEqual(expect.arrayContaining(['endpoints.deployModel', 'endpoints.patch', 'models.upload']));
    const undocumented = methods.filter((m) => !DOCUMENTED[m]);
    expect({ undocumented }).toEqual({ undocumented: [] });
    expect([...VertexDeployerRole.PERMISSIONS].sort()).toEqual([...new Set(methods.map((m) => DOCUMENTED[m]))].sort());
  });

  test('the traffic-split update of an already deployed version (endpoints.patch) is allowed', () => {
    expect(VertexDeployerRole.PERMISSIONS).toContain('aiplatform.endpoints.update');
  });
});
