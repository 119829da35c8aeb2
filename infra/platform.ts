// Composition: validated config in, components wired together, typed outputs out.
import { PlatformConfig } from "./config";
import { PlatformOutputs } from "./outputs";

export function createPlatform(_cfg: PlatformConfig): PlatformOutputs {
    return {};
}
