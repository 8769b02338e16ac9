#!/usr/bin/env node
// One environment of one model on Google Cloud, composed from ModelStack's constructs in a CDKTF stack: the
// CMEK model registry, a Vertex AI endpoint, and the inference function (POST /models/churn/predict) in front of it.
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { App, Aspects, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { FunctionPlatform, InferenceFunction, ModelEndpoint, ModelRegistry, RequiredApis } from 'modelstack/gcp';

const project = 'acme-ml-dev';
const region = 'europe-west1';
const namePrefix = 'example-dev';

class ChurnStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Import provider resources per file (`@cdktf/provider-google/lib/<resource>`): the whole provider is slow to load.
    new GoogleProvider(this, 'google', { project, region, defaultLabels: { team: 'churn' } });
    // Enables every API the stack's resources need, before them: an empty project has almost none enabled.
    Aspects.of(this).add(new RequiredApis(this, project));

    // CMEK buckets for artifacts (models/churn/<version>/), baselines and reports; a BigQuery dataset for request logs.
    // The constructs built on the registry take its name prefix, project and region unless told otherwise.
    const registry = new ModelRegistry(this, 'Registry', { namePrefix, project, region, retainOnDelete: false });

    // An empty, CMEK-encrypted Vertex AI endpoint; `npx modelstack vertex-deploy` deploys model versions to it.
    const endpoint = new ModelEndpoint(this, 'Churn', {
      registry,
      model: 'churn',
      samplingPercentage: 10, // request-response logging to the registry's BigQuery dataset
    });

    // What the functions of this stack share: the CMEK image repository, the build account, the source archives.
    const functions = new FunctionPlatform(this, 'Functions', { registry });

    // A Cloud Run function with the same validation and errors as the AWS inference API; IAM invokers only.
    const inference = new InferenceFunction(this, 'ChurnInference', {
      platform: functions,
      endpoint,
      features: [
        { name: 'tenure_months', type: 'numeric' },
        { name: 'monthly_charges', type: 'numeric' },
        { name: 'contract', type: 'categorical' },
      ],
      // Limits default to the AWS inference API's: 1 MiB bodies, 100 instances per request, 10 s upstream timeout.
      invokers: [`serviceAccount:checkout@${project}.iam.gserviceaccount.com`],
    });

    new TerraformOutput(this, 'predict_url', { value: `${inference.url}/models/churn/predict` });
    new TerraformOutput(this, 'endpoint', { value: endpoint.resourceName });
  }
}

const app = new App();
new ChurnStack(app, 'churn-dev');
app.synth();
