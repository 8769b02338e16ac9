// See jest.config.js: the dedicated CloudFormation validation test replaces aws-cdk-lib's built-in warning-only pass.
process.env.CDK_VALIDATION = process.env.CDK_VALIDATION ?? 'false';
