import { ComputeInstance } from '@cdktf/provider-google/lib/compute-instance';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic';
import { App, Aspects, TerraformStack, Testing } from 'cdktf';
import { RequiredApis } from '../../constructs/gcp/required-apis';

/** A stack with the aspect and what `build` adds, synthesized. */
function synth(build: (stack: TerraformStack) => void): any {
  const app = Testing.app();
  const stack = new TerraformStack(app as App, 'test');
  new GoogleProvider(stack, 'google', { project: 'my-project' });
  build(stack);
  Aspects.of(stack).add(new RequiredApis(stack, 'my-project'));
  return JSON.parse(Testing.synth(stack));
}

describe('RequiredApis', () => {
  test('enables each API once, never disabled on destroy, and orders every resource after its APIs', () => {
    const out = synth((stack) => {
      new PubsubTopic(stack, 'A', { name: 'a' });
      new PubsubTopic(stack, 'B', { name: 'b', dependsOn: [] });
    });
    expect(out.resource.google_project_service).toEqual({ 'Api-pubsub': expect.objectContaining({ project: 'my-project', service: 'pubsub.googleapis.com', disable_on_destroy: false }) });
    for (const topic of Object.values(out.resource.google_pubsub_topic) as any[]) expect(topic.depends_on).toEqual(['google_project_service.Api-pubsub']);
  });

  test('a Google type without a row fails the synth and says where to add it', () => {
    expect(() =>
      synth((stack) => {
        new ComputeInstance(stack, 'Vm', { name: 'vm', machineType: 'e2-small', zone: 'europe-west1-b', bootDisk: { initializeParams: { image: 'debian-12' } }, networkInterface: [{ network: 'default' }] });
      }),
    ).toThrow('test: no API known for google_compute_instance: add each to APIS_BY_TYPE in constructs/gcp/required-apis.ts');
  });
});
