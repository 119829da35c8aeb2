// The typed output contract other repositories import (via StackReference). The stack exports
// exactly this shape; changing it is a breaking change for consumers.
import * as pulumi from "@pulumi/pulumi";

export interface PlatformOutputs {
    [key: string]: unknown;
}

/** Use from another repository: `const out = await readPlatformOutputs(new pulumi.StackReference("org/platform/prod"))`. */
export function platformOutput<K extends keyof PlatformOutputs & string>(ref: pulumi.StackReference, key: K): pulumi.Output<PlatformOutputs[K]> {
    return ref.requireOutput(key) as pulumi.Output<PlatformOutputs[K]>;
}
