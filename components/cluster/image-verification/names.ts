// Names of the signature-verification constraint, dependency-free: `admit` (which must load fast,
// without the Pulumi SDK) recognises the constraint it cannot evaluate offline by these.

/** Constraint kind of Ratify's verification template (Rego with external data: cluster-only). */
export const VERIFICATION_KIND = "RatifyVerification";
/** The stack's one constraint of that kind. */
export const VERIFICATION_CONSTRAINT = "images-signed-by-pipeline";
