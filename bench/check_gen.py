#!/usr/bin/env python3
"""Sanity check of bench/gen.py: determinism, YAML validity, document mix.

    python3 bench/check_gen.py [--size-mb 1] [--seed 42] [--files 200]

Needs PyYAML (the generator itself does not). Validity is judged by
yaml.safe_load_all, an implementation independent of the parser under test.
"""

import argparse
import collections
import hashlib
import os
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen.py")
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet"}


def sha256_tree(root):
    h = hashlib.sha256()
    for d, dirs, files in os.walk(root):
        dirs.sort()  # os.walk order is filesystem order; fix it
        for f in sorted(files):
            p = os.path.join(d, f)
            h.update(os.path.relpath(p, root).encode() + b"\0")
            with open(p, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


def check_docs(texts):
    """Parses every document; returns a Counter of findings."""
    c = collections.Counter()
    for text in texts:
        for doc in yaml.safe_load_all(text):
            if doc is None:
                c["empty documents"] += 1
                continue
            c["documents"] += 1
            kind = doc["kind"]
            if kind in WORKLOADS:
                c["workloads"] += 1
                tmpl = doc["spec"]["template"]
                md = tmpl.get("metadata")
                if md is None:
                    c["template: no metadata"] += 1
                elif "annotations" not in md:
                    c["template: metadata, no annotations"] += 1
                elif not md["annotations"]:
                    c["template: empty annotations"] += 1
                elif "reloaded-at" in md["annotations"]:
                    c["template: already stamped"] += 1
                else:
                    c["template: other annotations"] += 1
                assert len(tmpl["spec"]["containers"]) >= 1
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--files", type=int, default=200)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        outs = []
        for i in range(2):
            p = os.path.join(tmp, f"s{i}.yaml")
            subprocess.run([sys.executable, GEN, "stream", "--size-mb", str(args.size_mb),
                            "--seed", str(args.seed), "-o", p], check=True, stderr=subprocess.DEVNULL)
            with open(p, "rb") as f:
                outs.append(f.read())
        assert outs[0] == outs[1], "stream output differs between two runs with the same seed"
        print(f"stream: deterministic, sha256 {hashlib.sha256(outs[0]).hexdigest()[:16]}, {len(outs[0])} bytes")
        c = check_docs([outs[0].decode("utf-8")])
        for k, v in sorted(c.items()):
            print(f"  {k}: {v}")
        print(f"  workload share: {c['workloads'] / c['documents']:.1%}")

        trees = []
        for i in range(2):
            d = os.path.join(tmp, f"t{i}")
            # A different absolute path each time: the content must not depend on it.
            subprocess.run([sys.executable, GEN, "tree", "--files", str(args.files),
                            "--seed", str(args.seed), "-o", d], check=True, stderr=subprocess.DEVNULL)
            trees.append(sha256_tree(d))
        assert trees[0] == trees[1], "tree output differs between two runs with the same seed"
        texts = []
        for d, _, files in os.walk(os.path.join(tmp, "t0")):
            for f in files:
                assert f.endswith(".yaml")
                with open(os.path.join(d, f), encoding="utf-8") as fh:
                    texts.append(fh.read())
        assert len(texts) == args.files, (len(texts), args.files)
        c = check_docs(texts)
        print(f"tree: deterministic, sha256 {trees[0][:16]}, {len(texts)} files, "
              f"{c['documents']} documents, workload share {c['workloads'] / c['documents']:.1%}")
    print("ok")


if __name__ == "__main__":
    main()
