// The one shape every Azure component's Args share for how its resources are governed: the tags
// (merged once, by the Azure layer: infra/azure-layer.ts azureTags) and, for the components that
// hold state, `protect` and the deletion lock. Each component's Args pick the parts they use.

/** Tags for every taggable resource a component creates. */
export type AzureTags = Readonly<Record<string, string>>;

export interface AzureGovernance {
    /** Tags for every taggable resource the component creates (the Azure layer's merged set). */
    tags: AzureTags;
    /**
     * `protect` the stateful resources (prod, config `protectStatefulResources`): a delete or a
     * replacement fails instead of destroying state.
     */
    protect: boolean;
    /** A CanNotDelete management lock on the component's stateful scope (prod). */
    lock: boolean;
}
