/**
 * Google's naming rules for the names the platform makes up, each returning what is wrong (empty when valid), so
 * config validation and the synth checks (test/gcp/deployability.ts) apply the same rules.
 */

/** Words Cloud Storage reserves: no bucket name may contain them (the docs name "google" and close misspellings such as "g00gle"). */
const RESERVED_IN_BUCKET_NAMES = ['google', 'g00gle'];

/**
 * Cloud Storage bucket naming rules (https://cloud.google.com/storage/docs/buckets#naming): lowercase letters,
 * digits, `-`, `_` and `.`; starting and ending with a letter or digit; 3 to 63 characters (up to 222 with dots, each
 * dot-separated part at most 63); not an IP address; not starting with `goog`; not containing `google` or a close
 * misspelling of it.
 */
export function bucketNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (!/^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(name)) problems.push('must be lowercase letters, digits, "-", "_" and ".", starting and ending with a letter or digit');
  const max = name.includes('.') ? 222 : 63;
  if (name.length < 3 || name.length > max) problems.push(`must be 3 to ${max} characters long (is ${name.length})`);
  if (name.includes('.') && name.split('.').some((part) => part.length > 63)) problems.push('each dot-separated part must be at most 63 characters');
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) problems.push('must not be an IP address');
  if (name.startsWith('goog')) problems.push('must not start with "goog"');
  for (const word of RESERVED_IN_BUCKET_NAMES) if (name.includes(word)) problems.push(`must not contain "${word}"`);
  return problems;
}

/**
 * Service account ids (https://cloud.google.com/iam/docs/service-accounts-create#creating): 6 to 30 characters,
 * lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen.
 */
export function serviceAccountIdProblems(id: string): string[] {
  return /^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$/.test(id) ? [] : ['must be 6 to 30 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen'];
}

/**
 * Custom role ids (https://cloud.google.com/iam/docs/creating-custom-roles#naming_the_role): letters, digits, `_`
 * and `.`, at most 64 characters (3 at least, as the Terraform provider checks).
 */
export function customRoleIdProblems(id: string): string[] {
  return /^[a-zA-Z0-9_.]{3,64}$/.test(id) ? [] : ['must be 3 to 64 letters, digits, "_" and "."'];
}
