import 'cdktf/lib/testing/adapters/jest';
import { Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { ModelEndpoint } from '../../constructs/gcp/model-endpoint';
import { ModelImageRepository } from '../../constructs/gcp/model-image-repository';
import { ModelRegistry } from '../../constructs/gcp/model-registry';
import { ModelVersionEvents } from '../../constructs/gcp/model-version-events';
import { VertexDeployTrigger, type VertexDeployTriggerProps } from '../../constructs/gcp/vertex-deploy-trigger';
import { VertexDeployerRole } from '../../constructs/gcp/vertex-deployer-role';
import { buildGcpPlatform } from '../../infra/gcp/app';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import { all, synth } from './helpers';

Testing.setupJest();

const project = 'my-ml-project';

/** Two models' deploy triggers building the same folder into one repository. */
function platform(deploy: Partial<VertexDeployTriggerProps> = {}) {
  return synth((scope: Construct) => {
    const registry = new ModelRegistry(scope, 'Registry', { namePrefix: 'ms-prod', project, region: 'europe-west1' });
    const events = new ModelVersionEvents(scope, 'Events', { registry, topicName: 'ms-prod-model-versions', project });
    const deployerRole = new VertexDeployerRole(scope, 'Role', { namePrefix: 'ms-prod', project });
    const images = new ModelImageRepository(scope, 'ModelImages', { registry });
    for (const model of ['churn', 'sales']) {
      const endpoint = new ModelEndpoint(scope, `Endpoint-${model}`, { registry, model, region: 'europe-west1' });
      new VertexDeployTrigger(scope, `Deploy-${model}`, {
        endpoint,
        events,
        deployerRole,
        repository: { owner: 'example-org', name: 'modelstack' },
        namePrefix: 'ms-prod',
        project,
        region: 'europe-west1',
        imageBuild: { repository: images, folder: 'containers/model-server' },
        ...deploy,
      });
    }
  });
}

describe('built model images on Google Cloud', () => {
  test('an Artifact Registry repository with CMEK (after the agent holds the key), immutable tags and cleanup policies', () => {
    const s = platform();
    const [repository] = all(s, 'google_artifact_registry_repository');
    expect(repository).toMatchObject({
      repository_id: 'ms-prod-models',
      location: 'europe-west1',
      format: 'DOCKER',
      kms_key_name: expect.stringMatching(/^\$\{google_kms_crypto_key\.Registry_Key_\w+\.id\}$/),
      docker_config: { immutable_tags: true },
      cleanup_policies: [
        { id: 'keep-recent', action: 'KEEP', most_recent_versions: { keep_count: 10 } },
        { id: 'delete-old', action: 'DELETE', condition: { older_than: `${30 * 86400}s` } },
      ],
    });
    expect(repository.depends_on).toEqual([expect.stringMatching(/^time_sleep\..*Settled-Registry_ArtifactRegistryAgentKeyAccess/)]);
    const keyGrant = all(s, 'google_kms_crypto_key_iam_member').find((g) => /Identity-artifactRegistry/.test(g.member));
    expect(keyGrant).toMatchObject({ role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter' });
  });

  test('least privilege: each deploy account may push to this repository only; the Vertex AI agent reads it', () => {
    const s = platform();
    const grants = all(s, 'google_artifact_registry_repository_iam_member');
    expect(grants.map((g) => [g.role, g.member.replace(/_\w+\./, '.')]).sort()).toEqual([
      ['roles/artifactregistry.reader', expect.stringMatching(/ServiceAgents-my-ml-project_Identity-vertex/)],
      ['roles/artifactregistry.writer', expect.stringMatching(/Deploy-churn_ServiceAccount/)],
      ['roles/artifactregistry.writer', expect.stringMatching(/Deploy-sales_ServiceAccount/)],
    ]);
    for (const grant of grants) expect(grant.repository).toMatch(/google_artifact_registry_repository\.ModelImages_Repository_\w+\.name/);
    // No project-wide Artifact Registry role.
    expect(all(s, 'google_project_iam_member').filter((m) => /artifactregistry/.test(m.role))).toEqual([]);
  });

  test('the deploy build builds the folder, pushes it by build id, and deploys the pushed digest with the custom container spec', () => {
    const s = platform();
    const trigger = all(s, 'google_cloudbuild_trigger').find((t) => t.name === 'ms-prod-deploy-churn');
    const steps = trigger.build.step;
    expect(steps.map((st: any) => st.id)).toEqual(['install', 'build', 'prune', 'build-image-churn', 'push-image-churn', 'deploy']);
    const image = 'europe-west1-docker.pkg.dev/my-ml-project/ms-prod-models/model-server:$BUILD_ID';
    expect(steps[3]).toMatchObject({ name: 'gcr.io/cloud-builders/docker', args: ['build', '--platform', 'linux/amd64', '--tag', image, 'containers/model-server'] });
    expect(steps[4]).toMatchObject({
      name: 'gcr.io/cloud-builders/docker',
      entrypoint: 'bash',
      args: ['-c', `docker push ${image} && docker inspect --format='{{index .RepoDigests 0}}' ${image} > /workspace/model-image.ref`],
    });
    const args: string[] = steps[5].args;
    expect(args).not.toContain('--image');
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    expect([after('--image-file'), after('--container-port'), after('--health-route'), after('--predict-route')]).toEqual(['/workspace/model-image.ref', '8080', '/health', '/predict']);
    // The push grant exists before a build can run.
    expect(trigger.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/google_artifact_registry_repository_iam_member\.ModelImages_Deploy-churnPushes/)]));
  });

  test('exactly one of containerImage and imageBuild; the build folder and routes are checked', () => {
    expect(() => platform({ containerImage: 'europe-docker.pkg.dev/vertex-ai/prediction/xgboost-cpu.1-7:latest' })).toThrow('expected exactly one of containerImage and imageBuild');
    expect(() =>
      synth((scope) => {
        const registry = new ModelRegistry(scope, 'Registry', { namePrefix: 'ms-prod', project, region: 'europe-west1' });
        const images = new ModelImageRepository(scope, 'ModelImages', { registry });
        const endpoint = new ModelEndpoint(scope, 'Endpoint', { registry, model: 'churn' });
        new VertexDeployTrigger(scope, 'Deploy', {
          endpoint,
          events: new ModelVersionEvents(scope, 'Events', { registry, topicName: 'ms-prod-model-versions', project }),
          deployerRole: new VertexDeployerRole(scope, 'Role', { namePrefix: 'ms-prod', project }),
          repository: { owner: 'o', name: 'r' },
          namePrefix: 'ms-prod',
          project,
          region: 'europe-west1',
          imageBuild: { repository: images, folder: '../outside', healthRoute: 'health' },
        });
      }),
    ).toThrow(/imageBuild.folder "..\/outside": expected a relative folder inside the repository.*\n.*imageBuild.healthRoute "health": expected a path such as \/health/);
  });

  test('the demo: every environment builds containers/model-server for both models instead of a prebuilt Vertex AI image', () => {
    const app = Testing.app();
    const stacks = buildGcpPlatform(app, parseConfig(demoConfig));
    for (const [env, stack] of Object.entries(stacks)) {
      expect(stack.modelImages).toBeDefined();
      const resources = JSON.parse(Testing.synth(stack)).resource;
      const triggers = (Object.values(resources.google_cloudbuild_trigger) as any[]).filter((t) => t.name.includes('-deploy-'));
      expect(triggers).toHaveLength(2);
      for (const trigger of triggers) {
        const deploy = trigger.build.step.at(-1).args as string[];
        expect({ env, image: deploy.includes('--image') }).toEqual({ env, image: false });
        expect(trigger.build.step.some((st: any) => st.args.includes('containers/model-server'))).toBe(true);
      }
      expect(JSON.stringify(triggers)).not.toContain('vertex-ai/prediction');
    }
  });
});
