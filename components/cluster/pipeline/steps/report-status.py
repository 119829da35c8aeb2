#!/usr/bin/env python3
# report-status / status: set a commit status on the manifests repo. STATE is `pending` or the
# pipeline's $(tasks.status) (Succeeded, Completed, Failed, None).
# Env: API, SLUG, SHA, STATE, CONTEXT, AUTH_DIR (git token, key `token`).
import json, os, urllib.request

env = os.environ
state = {'pending': 'pending', 'Succeeded': 'success', 'Completed': 'success'}.get(env['STATE'], 'failure')
# What the check verifies (GitHub caps a description at 140 characters). Signatures are checked
# for every image digest under the manifests paths of the PR's head; admission checks every
# image again in the clusters.
desc = {'pending': 'Gatekeeper policy, schema, deprecated-API and image-signature checks running',
        'success': 'Gatekeeper policy, schemas, API versions and image signatures OK'}.get(
    state, 'A manifests check failed; see the PipelineRun')
auth = 'Bearer ' + open(os.path.join(env['AUTH_DIR'], 'token')).read().strip()
req = urllib.request.Request(f"{env['API']}/repos/{env['SLUG']}/statuses/{env['SHA']}", method='POST',
                             data=json.dumps({'state': state, 'context': env['CONTEXT'], 'description': desc}).encode(),
                             headers={'Authorization': auth, 'Accept': 'application/vnd.github+json', 'Content-Type': 'application/json'})
with urllib.request.urlopen(req, timeout=30):
    pass
print('status', state)
