#!/usr/bin/python3
"""Write the seed corpus of fuzz_policy (corpus_policy/): a mode byte, then

  0  a JSON Pointer, '\\n', a JSON document it is resolved in
  1  a matcher (literal, glob:, regex:), '\\n', a value
  2  a claim, '\\n', a matcher, '\\n', a JSON object of claims

shaped after the trust policies of docs/trust-policy.md (GitHub Actions,
Kubernetes service accounts, Google ID tokens), with the escapes, arrays,
numbers and a catastrophic regex the target must survive. Run from
anywhere:
    /usr/bin/python3 tests/fuzz/make_policy_corpus.py
"""
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))

GITHUB = {"iss": "https://token.actions.githubusercontent.com",
          "sub": "repo:acme/api:ref:refs/heads/main", "repository": "acme/api",
          "repository_owner": "acme", "ref": "refs/heads/main", "environment": "production",
          "job_workflow_ref": "acme/api/.github/workflows/deploy.yml@refs/heads/main",
          "run_number": "42"}
K8S = {"iss": "https://kubernetes.default.svc.cluster.local",
       "sub": "system:serviceaccount:prod:deployer",
       "kubernetes.io": {"namespace": "prod", "serviceaccount": {"name": "deployer",
                                                                 "uid": "a1b2"}}}
GOOGLE = {"iss": "https://accounts.google.com", "email": "alice@acme.com",
          "email_verified": True, "hd": "acme.com", "level": 3, "ratio": 1.50}
ODD = {"a/b": {"m~n": "yes"}, "groups": ["dev", "ops", 7, True, None, ["x"], {"y": 1}],
       "note": "a" * 64 + "!", "": "empty name"}

SEEDS = {
    # pointers
    "0-rfc6901": (0, "/foo/0", {"foo": ["bar", "baz"], "": 0, "a/b": 1, "m~n": 8}),
    "0-escapes": (0, "/a~1b/m~0n", ODD),
    "0-k8s": (0, "/kubernetes.io/serviceaccount/name", K8S),
    "0-index": (0, "/groups/6/y", ODD),
    "0-bad-tilde": (0, "/a~2", ODD),
    "0-name": (0, "repository_owner", GITHUB),
    "0-empty": (0, "", GITHUB),
    "0-dash": (0, "/groups/-", ODD),
    # matchers
    "1-literal": (1, "acme", "acme"),
    "1-literal-no": (1, "acme", "acme-evil"),
    "1-glob": (1, "glob:repo:acme/*:ref:refs/heads/main", "repo:acme/api:ref:refs/heads/main"),
    "1-glob-question": (1, "glob:v?.*", "v\u00e9.2"),
    "1-glob-stars": (1, "glob:*a*a*a*b", "a" * 40),
    "1-regex": (1, "regex:refs/heads/(main|release/.+)", "refs/heads/release/1.2"),
    "1-regex-anchor": (1, "regex:a|b", "ab"),
    "1-regex-catastrophic": (1, "regex:(a+)+", "a" * 200 + "!"),
    "1-regex-bad": (1, "regex:a(b", "ab"),
    "1-regex-utf8": (1, "regex:.{2}", "\u00e9\u00e8"),
    # rules
    "2-github": (2, "repository", "glob:acme/*", GITHUB),
    "2-k8s": (2, "/kubernetes.io/namespace", "regex:prod|staging-[0-9]+", K8S),
    "2-google-bool": (2, "email_verified", "true", GOOGLE),
    "2-number": (2, "level", "3", GOOGLE),
    "2-float": (2, "ratio", "1.50", GOOGLE),
    "2-array": (2, "groups", "ops", ODD),
    "2-array-nested": (2, "/groups/5", "x", ODD),
    "2-missing": (2, "nope", "glob:*", GITHUB),
    "2-catastrophic": (2, "note", "regex:(a|aa)+", ODD),
}


def main():
    out = os.path.join(HERE, "corpus_policy")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for name, (mode, *parts) in SEEDS.items():
        text = "\n".join(p if isinstance(p, str) else json.dumps(p, separators=(",", ":"))
                         for p in parts)
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([mode]) + text.encode())


if __name__ == "__main__":
    main()
