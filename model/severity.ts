// The vulnerability severity scale, lowest first: config `delivery.blockSeverity`, Harbor's
// project setting `severity` (prevent pulling images at or above it) and the pipeline's Trivy
// threshold (upper-cased, "none" dropped) all read this one list.

export const SEVERITIES = ["none", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];
