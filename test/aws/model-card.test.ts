import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ModelCard, type ModelCardProps } from '../../constructs/aws/model-card';
import { testStack } from '../helpers/aws';

function card(props: Partial<ModelCardProps> = {}) {
  const stack = testStack();
  const encryptionKey = new kms.Key(stack, 'Key');
  new ModelCard(stack, 'Card', {
    modelCardName: 'ms-prod-churn',
    model: 'churn',
    problemType: 'classification',
    algorithmType: 'xgboost-1.7',
    image: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/model-server:1',
    encryptionKey,
    ...props,
  });
  const template = Template.fromStack(stack);
  const [resource] = Object.values(template.findResources('AWS::SageMaker::ModelCard'));
  return { template, resource, properties: resource.Properties };
}

describe('ModelCard', () => {
  test('a draft card encrypted with the given key; the overview names the model, task, framework and image', () => {
    const { properties } = card();
    expect(properties.ModelCardName).toBe('ms-prod-churn');
    expect(properties.ModelCardStatus).toBe('Draft');
    expect(properties.SecurityConfig).toEqual({ KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] } });
    expect(properties.Content.ModelOverview).toEqual({
      ModelName: 'churn',
      ModelDescription: 'churn: a classification model served by ModelStack',
      ProblemType: 'classification',
      AlgorithmType: 'xgboost-1.7',
      InferenceEnvironment: { ContainerImage: ['111111111111.dkr.ecr.eu-west-1.amazonaws.com/model-server:1'] },
    });
    // Risk rating defaults to SageMaker's "Unknown"; intended uses are left out unless stated.
    expect(properties.Content.IntendedUses).toEqual({ RiskRating: 'Unknown' });
  });

  test('description, owner, intended uses and risk rating as given (risk in the schema\'s capitalisation)', () => {
    const { properties } = card({ description: 'Monthly churn risk per customer', owner: 'ml-team', intendedUses: 'Retention campaigns only', riskRating: 'medium' });
    expect(properties.Content.ModelOverview).toEqual(expect.objectContaining({ ModelDescription: 'Monthly churn risk per customer', ModelOwner: 'ml-team' }));
    expect(properties.Content.IntendedUses).toEqual({ IntendedUses: 'Retention campaigns only', RiskRating: 'Medium' });
  });

  test('retained when the stack is deleted unless DESTROY is asked for', () => {
    expect(card().resource.DeletionPolicy).toBe('Retain');
    expect(card({ removalPolicy: RemovalPolicy.DESTROY }).resource.DeletionPolicy).toBe('Delete');
  });
});
