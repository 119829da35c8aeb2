#!/usr/bin/env python3
# open-pr / pull-request: open the pull request for the branch the previous step pushed (none if
# the manifests were already at this digest). A 422 means it is open already (a re-run).
# Env: API (GitHub REST base), SLUG (owner/name), BASE, BRANCH (path of the branch result), IMAGE,
# DIGEST, REVISION, AUTH_DIR (git token, key `token`).
import json, os, sys, urllib.error, urllib.request


def post(url, auth, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method='POST', headers={
        'Authorization': auth, 'Accept': 'application/vnd.github+json', 'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b'null')


env = os.environ
branch = open(env['BRANCH']).read().strip()
if not branch:
    sys.exit(0)
auth = 'Bearer ' + open(os.path.join(env['AUTH_DIR'], 'token')).read().strip()
body = {'title': f"Deploy {env['IMAGE'].rsplit('/', 1)[-1]}@{env['DIGEST'][:19]}", 'head': branch, 'base': env['BASE'],
        'body': f"Image `{env['IMAGE']}@{env['DIGEST']}` built from {env['REVISION']}, scanned in Harbor and promoted to ACR by digest."}
try:
    pr = post(f"{env['API']}/repos/{env['SLUG']}/pulls", auth, body)
    print('opened', pr['html_url'])
except urllib.error.HTTPError as e:
    if e.code == 422:
        print('pull request already open for', branch)
    else:
        raise
