// Trigger filters of the EventListener, as CEL strings built here so tests can evaluate exactly
// what the cluster evaluates. They use only standard CEL (field access, has(), ==, in, &&,
// matches(), startsWith(), the all() macro) — no Tekton-only helpers such as header.match(),
// split() or compareSecret() — so any conforming evaluator (here @bufbuild/cel) agrees with
// Tekton's cel-go. Variables: `body` (the webhook JSON). Event type and HMAC are checked by the
// GitHub interceptor that runs before the CEL interceptor.

/** A CEL string literal (CEL shares JSON's escapes for the characters a URL/e-mail/path uses). */
export function celString(value: string): string {
    return JSON.stringify(value);
}

/** GitHub's `repository.html_url` form of a repo URL: no trailing slash, no `.git`. */
export function repoHtmlUrl(url: string): string {
    return url.replace(/\/+$/, "").replace(/\.git$/, "");
}

/** GitHub REST API base and `owner/name` for a repository URL (github.com or GitHub Enterprise). */
export function githubApi(repoUrl: string): { apiUrl: string; slug: string } {
    const u = new URL(repoHtmlUrl(repoUrl));
    const slug = u.pathname.replace(/^\/+/, "");
    const apiUrl = u.host === "github.com" ? "https://api.github.com" : `https://${u.host}/api/v3`;
    return { apiUrl, slug };
}

/** `clusters/primary` → `clusters/primary/` (git paths in push payloads are repo-relative). */
function dirPrefix(path: string): string {
    return `${path.replace(/^\.?\/+/, "").replace(/\/+$/, "")}/`;
}

export interface PushFilterOptions {
    /** Branch that builds (`delivery.branch`). */
    branch: string;
    /** The source repository; pushes from any other repository are ignored. */
    repoUrl: string;
    /** The pipeline bot's commit e-mail: its own commits never start a build. */
    botEmail: string;
    /**
     * When source and manifests share a repository: pushes whose every changed file lies under
     * these paths are manifest-only (e.g. a merged digest bump) and do not start a build.
     */
    manifestsOnlyPaths?: readonly string[];
}

/**
 * The push filter. Triggers on a push to `refs/heads/<branch>` of the source repository whose
 * head commit was neither authored nor committed by the bot; never on a branch deletion.
 */
export function pushFilter(o: PushFilterOptions): string {
    const bot = celString(o.botEmail);
    const clauses = [
        `body.ref == ${celString(`refs/heads/${o.branch}`)}`,
        "body.deleted == false",
        `body.repository.html_url == ${celString(repoHtmlUrl(o.repoUrl))}`,
        "body.after.matches(\"^[0-9a-f]{40}$\")",
        "has(body.head_commit) && body.head_commit != null",
        `body.head_commit.author.email != ${bot}`,
        `body.head_commit.committer.email != ${bot}`,
    ];
    if (o.manifestsOnlyPaths && o.manifestsOnlyPaths.length > 0) {
        const underManifests = [...o.manifestsOnlyPaths].map(dirPrefix).sort()
            .map(p => `f.startsWith(${celString(p)})`).join(" || ");
        clauses.push(`!body.commits.all(c, (c.added + c.modified + c.removed).all(f, ${underManifests}))`);
    }
    return clauses.join(" && ");
}

export interface PullRequestFilterOptions {
    /** Base branch of the manifests repo the pull requests target. */
    branch: string;
    /** The manifests repository. */
    repoUrl: string;
}

/** The manifests pull-request filter: a PR to `<branch>` opened, updated or reopened. */
export function pullRequestFilter(o: PullRequestFilterOptions): string {
    return [
        "body.action in [\"opened\", \"synchronize\", \"reopened\"]",
        `body.pull_request.base.ref == ${celString(o.branch)}`,
        `body.repository.html_url == ${celString(repoHtmlUrl(o.repoUrl))}`,
        "body.pull_request.head.sha.matches(\"^[0-9a-f]{40}$\")",
    ].join(" && ");
}
