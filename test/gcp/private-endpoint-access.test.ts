import 'cdktf/lib/testing/adapters/jest';
import { Testing, Tokenization } from 'cdktf';
import type { Construct } from 'constructs';
import { ModelEndpoint } from '../../constructs/gcp/model-endpoint';
import { ModelRegistry } from '../../constructs/gcp/model-registry';
import { PrivateEndpointAccess, type PrivateEndpointAccessProps, type PrivateEndpointAddress } from '../../constructs/gcp/private-endpoint-access';
import { all, synth } from './helpers';

Testing.setupJest();

const base: PrivateEndpointAccessProps = {
  namePrefix: 'ms-prod',
  project: 'my-ml-project',
  region: 'europe-west1',
  network: 'ml-vpc',
  subnetwork: 'ml-europe-west1',
  connectorRange: '10.8.0.0/28',
};

function build(props: Partial<PrivateEndpointAccessProps> = {}, models: string[] = ['churn']) {
  let access!: PrivateEndpointAccess;
  const addresses: PrivateEndpointAddress[] = [];
  const s = synth((scope: Construct) => {
    const registry = new ModelRegistry(scope, 'Registry', { namePrefix: 'ms-prod', project: 'my-ml-project', region: 'europe-west1' });
    access = new PrivateEndpointAccess(scope, 'Psc', { ...base, ...props });
    for (const model of models) addresses.push(access.addressFor(new ModelEndpoint(scope, `E-${model}`, { registry, model })));
  });
  return { ...s, access, addresses };
}

describe('PrivateEndpointAccess (GCP)', () => {
  test('a Serverless VPC Access connector on the given /28 of the network, name within 25 characters', () => {
    const s = build();
    expect(all(s, 'google_vpc_access_connector')).toEqual([
      expect.objectContaining({ name: 'ms-prod-psc', project: 'my-ml-project', region: 'europe-west1', network: 'ml-vpc', ip_cidr_range: '10.8.0.0/28' }),
    ]);
    expect(s.access.networkName).toBe('projects/my-ml-project/global/networks/ml-vpc');
    const long = all(build({ namePrefix: 'a-very-long-platform-name-prod' }), 'google_vpc_access_connector')[0];
    expect(long.name.length).toBeLessThanOrEqual(25);
  });

  test('one internal address per endpoint, in the subnetwork, named after the endpoint; what vertex-deploy and the function use', () => {
    const s = build({}, ['churn', 'fraud']);
    expect(all(s, 'google_compute_address').map((a) => [a.name, a.address_type, a.subnetwork]).sort()).toEqual([
      ['ms-prod-churn-psc', 'INTERNAL', 'projects/my-ml-project/regions/europe-west1/subnetworks/ml-europe-west1'],
      ['ms-prod-fraud-psc', 'INTERNAL', 'projects/my-ml-project/regions/europe-west1/subnetworks/ml-europe-west1'],
    ]);
    const [churn] = s.addresses;
    expect(churn.resourceName).toBe('projects/my-ml-project/regions/europe-west1/addresses/ms-prod-churn-psc');
    // The function's base URL is the reserved address (an attribute known after apply).
    const reference = (value: string) => (Tokenization.reverseString(value).tokens[0] as { identifier?: string } | undefined)?.identifier;
    expect(churn.baseUrl).toMatch(/^http:\/\/\$\{TfToken/);
    expect(reference(churn.baseUrl)).toMatch(/^google_compute_address\.Psc_Address-churn_\w+\.address$/);
  });

  test('the connect role holds what creating a PSC forwarding rule on the reserved address needs, and nothing broader', () => {
    const [role] = all(build(), 'google_project_iam_custom_role');
    expect(role.role_id).toMatch(/^ms_prod_psc_connect_/);
    expect(role.permissions).toContain('compute.forwardingRules.pscCreate');
    expect(role.permissions).toContain('compute.addresses.useInternal');
    expect(role.permissions.filter((p: string) => /\*|delete|setIamPolicy/.test(p))).toEqual([]);
  });

  test('invalid props fail with every problem listed', () => {
    expect(() => build({ namePrefix: 'Bad_Prefix', network: 'ML VPC', subnetwork: '-sub', connectorRange: '10.8.0.0/24' })).toThrow(
      /namePrefix "Bad_Prefix"[\s\S]*network "ML VPC"[\s\S]*subnetwork "-sub"[\s\S]*connectorRange "10\.8\.0\.0\/24"/,
    );
  });
});
