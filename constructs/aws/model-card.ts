import { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { CfnModelCard } from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import { unresolved } from './private/tokens';

/** Properties of a {@link ModelCard}. */
export interface ModelCardProps {
  /** Card name, such as `modelstack-prod-churn`: at most 63 lowercase letters, digits and single hyphens. */
  readonly modelCardName: string;
  /** The model's name. */
  readonly model: string;
  /** What the model predicts, such as `classification`. */
  readonly problemType: string;
  /** Framework and version, such as `xgboost-1.7`. */
  readonly algorithmType: string;
  /** Inference container image. */
  readonly image: string;
  /**
   * What the model does; at most 1024 characters.
   * @default - `<model>: a <problemType> model served by ModelStack`
   */
  readonly description?: string;
  /**
   * What the model may be used for.
   * @default - not stated
   */
  readonly intendedUses?: string;
  /**
   * Risk rating: `high`, `medium`, `low` or `unknown`.
   * @default 'unknown'
   */
  readonly riskRating?: 'high' | 'medium' | 'low' | 'unknown';
  /**
   * Who answers for the model.
   * @default - not stated
   */
  readonly owner?: string;
  /** Key that encrypts the card's content. */
  readonly encryptionKey: kms.IKey;
  /**
   * What happens to the card when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The model card schema's spelling of each rating (CloudFormation rejects lowercase values). */
const RISK_RATINGS = { high: 'High', medium: 'Medium', low: 'Low', unknown: 'Unknown' } as const;

/**
 * A SageMaker model card (in `Draft` status, for reviewers to complete) describing one model from its config:
 * overview, intended uses and risk rating, encrypted with a customer-managed key.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import type * as kms from 'aws-cdk-lib/aws-kms';
 * import { ModelCard } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const encryptionKey: kms.IKey;
 *
 * new ModelCard(stack, 'ChurnCard', {
 *   modelCardName: 'modelstack-prod-churn',
 *   model: 'churn',
 *   problemType: 'classification',
 *   algorithmType: 'xgboost-1.7',
 *   image: '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1',
 *   riskRating: 'medium',
 *   owner: 'ml-platform',
 *   encryptionKey,
 * });
 * ```
 */
export class ModelCard extends Construct {
  /** The underlying `AWS::SageMaker::ModelCard`. */
  readonly cfnModelCard: CfnModelCard;

  constructor(scope: Construct, id: string, props: ModelCardProps) {
    super(scope, id);
    const problems = new Problems('ModelCard');
    problems.check(unresolved(props.modelCardName) || (SAFE_RESOURCE_NAME.test(props.modelCardName) && props.modelCardName.length <= 63), `modelCardName "${props.modelCardName}": expected at most 63 lowercase letters, digits and single hyphens`);
    problems.check(unresolved(props.description) || (props.description ?? '').length <= 1024, 'description: expected at most 1024 characters');
    problems.throwIfAny();

    this.cfnModelCard = new CfnModelCard(this, 'Resource', {
      modelCardName: props.modelCardName,
      modelCardStatus: 'Draft',
      securityConfig: { kmsKeyId: props.encryptionKey.keyArn },
      content: {
        modelOverview: {
          modelName: props.model,
          modelDescription: props.description ?? `${props.model}: a ${props.problemType} model served by ModelStack`,
          problemType: props.problemType,
          algorithmType: props.algorithmType,
          modelOwner: props.owner,
          inferenceEnvironment: { containerImage: [props.image] },
        },
        intendedUses: { intendedUses: props.intendedUses, riskRating: RISK_RATINGS[props.riskRating ?? 'unknown'] },
      },
    });
    this.cfnModelCard.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
  }
}
