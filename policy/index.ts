// The policy pack served to the Pulumi engine: `pulumi preview --policy-pack policy
// [--policy-pack-config policy/config/<env>.json]`. Policies live in ./policies (an array, also
// run offline by ./offline for `npm run plan`). Only this file constructs the PolicyPack: doing
// so starts the analyzer's gRPC server, so nothing else may import it.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("supply-chain-guardrails", {
    description:
        "Guardrails of the two-region AKS supply chain: registry and cluster hardening, registry credentials only in the pipeline namespace, prod protection.",
    // Each policy sets its own level; this is the default for any that does not.
    enforcementLevel: "mandatory",
    policies,
});
