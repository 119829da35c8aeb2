#!/usr/lib64/az/bin/python
# signature-check / introduced-images: the image references a manifests pull request introduces,
# each of which must come from the stack's ACR pinned by digest; written for the verify step.
#
# "Introduced" is per file: a reference in a file of the PR's head that the same file in the base
# commit does not hold (added or changed lines, new files, new documents of a multi-document file).
# Unchanged and removed references are not re-checked: the base already held them. Found are
# - every `image:` string anywhere in any document (Pod, Deployment, CronJob, any CRD that embeds a
#   pod template…), except in ConfigMap/Secret documents, whose data is opaque text;
# - every entry of a kustomization's `images:` list, as kustomize rewrites a matching `image:`
#   (kubernetes-sigs/kustomize 14947e44 api/filters/imagetag/updater.go SetImageValue; fields:
#   api/types/image.go Image): newName replaces the name; newTag and/or digest replace BOTH the old
#   tag and digest — then the entry's line carries the reference `<newName|name>[:newTag][@digest]`
#   and the raw `image:` it rewrites is skipped; an entry with neither (newName, tagSuffix) keeps
#   the raw reference's tag and digest — then each raw `image:` it matches is reported, renamed.
#   Matching is by name across the manifests paths (kustomize scopes it to the kustomization's
#   resources: an approximation that can only over-report).
# A reference that is not pinned by digest is REJECTED, not resolved: a tag can be re-pointed after
# review (what was checked is not what runs), and the signature Chains made is bound to a digest.
# Files are what gator and kubeconform read (.yaml/.yml/.json, directories walked); a file of the
# head that cannot be parsed fails the check (fail closed); a base file that cannot be parsed counts
# as empty (everything in the head's file is then "introduced").
#
# Interpreter: the Azure CLI image's virtualenv, which has PyYAML (see policy-guard.py).
# Env: ACR (login server), BASE and HEAD (checkouts of the PR's base and head commits, both by
# git-clone), OUT (tab-separated `file, line, reference, <repo>@<digest>` per introduced reference).
# Arguments: the manifests paths, relative to the checkouts.
import os, re, sys
import yaml

EXTENSIONS = ('.yaml', '.yml', '.json')
KUSTOMIZATION_FILES = ('kustomization.yaml', 'kustomization.yml', 'Kustomization')
OPAQUE_KINDS = ('ConfigMap', 'Secret')
STR = 'tag:yaml.org,2002:str'
# <host>[:port]/<path>[:tag]@sha256:<64 hex> (distribution/reference grammar, lower-case path).
PINNED = re.compile(r'^(?P<repo>[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+)'
                    r'(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?@(?P<digest>sha256:[0-9a-f]{64})$')


def files_under(root, path):
    top = os.path.join(root, path)
    if os.path.isfile(top):
        return [path]
    found = []
    for d, _dirs, names in os.walk(top):
        found += [os.path.relpath(os.path.join(d, n), root) for n in names if os.path.splitext(n)[1] in EXTENSIONS
                  or n in KUSTOMIZATION_FILES]
    return sorted(found)


def scalar(node):
    return node.value if isinstance(node, yaml.ScalarNode) and node.tag == STR else None


def field(mapping, key):
    for k, v in mapping.value:
        if scalar(k) == key:
            return v
    return None


def image_fields(node, seen):
    """(line, value) of every `image:` string under node."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if scalar(k) == 'image' and scalar(v) is not None:
                yield v.start_mark.line + 1, v.value.strip()
            yield from image_fields(v, seen)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            yield from image_fields(v, seen)


def kustomize_images(doc):
    """(line, field dict) per `images:` entry of a kustomization that changes anything."""
    images = field(doc, 'images')
    for entry in images.value if isinstance(images, yaml.SequenceNode) else []:
        if not isinstance(entry, yaml.MappingNode):
            continue
        get = {k: scalar(field(entry, k)) for k in ('name', 'newName', 'newTag', 'digest', 'tagSuffix')}
        if get['name'] and (get['newName'] or get['newTag'] or get['digest'] or get['tagSuffix']):
            yield entry.start_mark.line + 1, get


def references(root, rel):
    """(line, raw `image:` value) and (line, kustomize entry) lists of one file; raises if it cannot be parsed."""
    with open(os.path.join(root, rel), encoding='utf-8') as stream:
        docs = list(yaml.compose_all(stream, Loader=yaml.SafeLoader))
    raw, entries = [], []
    for doc in docs:
        if not isinstance(doc, yaml.MappingNode):
            continue
        kind = scalar(field(doc, 'kind') or yaml.ScalarNode(STR, ''))
        if kind in OPAQUE_KINDS:
            continue
        if kind == 'Kustomization' or os.path.basename(rel) in KUSTOMIZATION_FILES:
            entries += list(kustomize_images(doc))
        raw += list(image_fields(doc, set()))
    return raw, entries


def split(ref):
    """name, tag, digest of a reference (kustomize api/image Split)."""
    name, _, digest = ref.partition('@')
    slash, colon = name.rfind('/'), name.rfind(':')
    return (name[:colon], name[colon + 1:], digest) if colon > slash else (name, '', digest)


def resolved(root, paths):
    """{file: [(line, reference as deployed)]} under the paths of one checkout, and the problems reading it."""
    parsed, problems = {}, []
    for path in paths:
        for rel in files_under(root, path) if os.path.exists(os.path.join(root, path)) else []:
            real = os.path.realpath(os.path.join(root, rel))
            if not real.startswith(os.path.realpath(root) + os.sep):
                problems.append(f'{rel}: a symbolic link out of the repository')
                continue
            try:
                parsed[rel] = references(root, rel)
            except (yaml.YAMLError, UnicodeDecodeError, OSError) as e:
                problems.append(f'{rel}: cannot be read as YAML/JSON ({e.__class__.__name__}: {e})')
    rewrites = {e['name']: e for _raw, entries in parsed.values() for _line, e in entries}
    found = {}
    for rel, (raw, entries) in parsed.items():
        refs = []
        for line, e in entries:
            if e['newTag'] or e['digest']:
                refs.append((line, (e['newName'] or e['name']) + (':' + e['newTag'] if e['newTag'] else '')
                             + ('@' + e['digest'] if e['digest'] else '')))
        for line, ref in raw:
            name, tag, digest = split(ref)
            e = rewrites.get(name)
            if e is None:
                refs.append((line, ref))
            elif not (e['newTag'] or e['digest']):
                tag = tag + (e['tagSuffix'] or '') if tag else tag
                refs.append((line, (e['newName'] or name) + (':' + tag if tag else '') + ('@' + digest if digest else '')))
        found[rel] = sorted(refs)
    return found, problems


def main():
    acr, base, head, out = os.environ['ACR'], os.environ['BASE'], os.environ['HEAD'], os.environ['OUT']
    paths = sys.argv[1:]
    problems = [f'no path {p} in the pull request' for p in paths if not os.path.exists(os.path.join(head, p))]
    head_refs, head_problems = resolved(head, paths)
    # A base file that cannot be parsed counts as empty: everything in the head's file is introduced.
    base_refs, _ = resolved(base, paths)
    problems += head_problems

    introduced = []
    for rel in sorted(head_refs):
        before = {ref for _line, ref in base_refs.get(rel, [])}
        for line, ref in head_refs[rel]:
            if ref in before:
                continue
            where = f'{rel}:{line}: {ref}'
            m = PINNED.match(ref)
            reasons = []
            if not (m and m.group('repo').startswith(acr + '/')) and not ref.startswith(acr + '/'):
                reasons.append(f"not in the stack's registry {acr}")
            if not m:
                reasons.append('not pinned by digest (<repository>@sha256:<64 hex>): a tag can be moved after review, '
                               'and signatures are bound to digests')
            if reasons:
                problems.append(f'{where}: {"; ".join(reasons)}')
            else:
                introduced.append((rel, line, ref, f"{m.group('repo')}@{m.group('digest')}"))

    if problems:
        print('The pull request introduces image references that cannot be verified:', file=sys.stderr)
        for p in problems:
            print('  ' + p, file=sys.stderr)
        sys.exit(1)
    with open(out, 'w', encoding='utf-8') as f:
        f.writelines(f'{rel}\t{line}\t{ref}\t{pinned}\n' for rel, line, ref, pinned in introduced)
    print(f'{len(introduced)} image reference(s) introduced under {", ".join(paths)}:')
    for rel, line, ref, _pinned in introduced:
        print(f'  {rel}:{line}: {ref}')


main()
