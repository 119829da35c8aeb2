// Lookups shared by the Azure-layer tests: values the offline engine's mocks derive from URNs.
import { createHash } from "crypto";
import { byName, StackRun } from "../harness";
import { uuidFrom } from "../../tools/mock-outputs";

/** The address tools/mock-outputs.ts assigns to a PublicIPAddress (first three bytes of its URN hash). */
export function publicIpAddressOf(run: StackRun, name: string): string {
    const urn = byName(run, "azure-native:network:PublicIPAddress", name).urn;
    const h = createHash("sha256").update(urn).digest("hex");
    return `20.${parseInt(h.slice(0, 2), 16)}.${parseInt(h.slice(2, 4), 16)}.${1 + (parseInt(h.slice(4, 6), 16) % 254)}`;
}

/** Kubelet identity object id the mock gives a ManagedCluster. */
export function kubeletObjectIdOf(run: StackRun, clusterLogicalName: string): string {
    return uuidFrom(byName(run, "azure-native:containerservice:ManagedCluster", clusterLogicalName).urn, "kubelet-object");
}

/** OIDC issuer the mock gives a ManagedCluster. */
export function issuerOf(run: StackRun, clusterLogicalName: string): string {
    const c = byName(run, "azure-native:containerservice:ManagedCluster", clusterLogicalName);
    return `https://${c.inputs.location}.oic.prod-aks.azure.com/72f988bf-0000-4000-8000-00000000d011/${uuidFrom(c.urn, "issuer")}/`;
}
