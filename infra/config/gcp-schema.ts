import { z } from 'zod';

/** Google Cloud settings of one environment. */
export const gcpEnvironmentSchema = z.strictObject({
  project: z
    .string()
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'expected a GCP project id (6-30 lowercase letters, digits, hyphens)'),
  region: z.string().regex(/^[a-z]+-[a-z]+\d+$/, 'expected a GCP region such as europe-west1'),
});

/** Google Cloud (Vertex AI) settings of one model; every field has a default. */
export const gcpModelSchema = z.strictObject({}).default({});
