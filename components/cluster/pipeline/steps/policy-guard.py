#!/usr/lib64/az/bin/python
# policy-check / reject-policy-objects: a manifests pull request must not bring its own policy.
#
# gator v3.23.0 `gator test` reads every --filename it is given (files, or directories walked for
# .yaml/.yml/.json: pkg/gator/reader/filereader.go) and treats every object by its group
# (pkg/gator/reader/read_resources.go): templates.gatekeeper.sh ConstraintTemplates and
# constraints.gatekeeper.sh constraints become policy, expansion.gatekeeper.sh, config.gatekeeper.sh,
# syncset.gatekeeper.sh and gvkmanifest.gatekeeper.sh objects change what is evaluated. A
# same-named ConstraintTemplate in the PR would replace the stack's. So before gator runs, this
# step reads exactly what gator would read under the PR's paths and fails on any object of a
# *.gatekeeper.sh group or kind ConstraintTemplate, and on anything it cannot parse (fail closed).
#
# Interpreter: the Azure CLI image's own virtualenv (RPM %{_libdir}/az, Azure/azure-cli
# scripts/release/rpm/azure-cli.spec), which has PyYAML (a dependency of knack, az's CLI framework).
# Arguments: the PR's manifests paths, relative to the working directory (the checkout).
import os, sys
import yaml

EXTENSIONS = ('.yaml', '.yml', '.json')  # gator's allowedExtensions


class UniqueKeyLoader(yaml.SafeLoader):
    """Duplicate keys are rejected: parsers disagree on which one wins."""


def _mapping(loader, node, deep=False):
    keys = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in keys:
            raise yaml.constructor.ConstructorError(None, None, f'duplicate key {key!r}', key_node.start_mark)
        keys.add(key)
    return loader.construct_mapping(node, deep)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def files_gator_reads(path):
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise FileNotFoundError(f'no path {path} in the manifests repo')
    found = []
    for root, _dirs, names in os.walk(path):  # like filepath.Walk: symlinked directories are not entered
        found += [os.path.join(root, n) for n in sorted(names) if os.path.splitext(n)[1] in EXTENSIONS]
    return sorted(found)


def policy_object(doc):
    if not isinstance(doc, dict):
        return None
    api_version, kind = doc.get('apiVersion'), doc.get('kind')
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    group = api_version.rsplit('/', 1)[0] if '/' in api_version else ''
    if group == 'gatekeeper.sh' or group.endswith('.gatekeeper.sh') or kind == 'ConstraintTemplate':
        name = (doc.get('metadata') or {}).get('name') if isinstance(doc.get('metadata'), dict) else None
        return f'{api_version} {kind} {name}'
    return None


problems = []
for arg in sys.argv[1:]:
    try:
        files = files_gator_reads(arg)
    except FileNotFoundError as e:
        problems.append(str(e))
        continue
    for f in files:
        try:
            with open(f, encoding='utf-8') as stream:
                docs = list(yaml.load_all(stream, Loader=UniqueKeyLoader))
        except (yaml.YAMLError, UnicodeDecodeError, OSError) as e:
            problems.append(f'{f}: cannot be read as YAML/JSON ({e.__class__.__name__}: {e})')
            continue
        for doc in docs:
            what = policy_object(doc)
            if what:
                problems.append(f'{f}: {what}')

if problems:
    print('The pull request brings Gatekeeper policy objects (or unreadable files); only the stack\'s '
          'own policy bundle may be evaluated. Remove them:', file=sys.stderr)
    for p in problems:
        print('  ' + p, file=sys.stderr)
    sys.exit(1)
print(f'no policy objects under {", ".join(sys.argv[1:])}')
