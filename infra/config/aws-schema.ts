import { z } from 'zod';

/** AWS target of one environment. */
export const awsEnvironmentSchema = z.strictObject({
  account: z.string().regex(/^\d{12}$/, 'expected 12 digits'),
  region: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, 'expected an AWS region such as eu-west-1'),
});

/** AWS settings of one model beyond serving; every field has a default. */
export const awsModelSchema = z.strictObject({}).default({});

/** Platform-wide AWS settings; every field has a default. */
export const awsPlatformSchema = z.strictObject({}).default({});
