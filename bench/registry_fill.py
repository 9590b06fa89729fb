#!/usr/bin/python3
"""Fill the registry store of a bench run (bench/run, BENCH_REGISTRY_SIZE):
IdPs and service providers written straight into its SQLite file, as the
console would store them, in one transaction that bumps the generation.
The console's API rebuilds the writer's snapshot after every write, which
would make registering thousands of entries one by one take minutes.
CERT: one PEM file every IdP shares, or a directory of idp-I.pem files
(bench/registry_certs.py), the Ith store IdP taking idp-(FIRST + I).pem.

Usage: registry_fill.py DB IDPS CLIENTS CERT AUDIENCE [FIRST]"""

import os

import hashlib
import base64
import json
import sqlite3
import sys
import time


def main():
    db, idps, clients, cert_path, audience = sys.argv[1:6]
    first = int(sys.argv[6]) if len(sys.argv) > 6 else 0

    def pem(i):
        if os.path.isdir(cert_path):
            with open(os.path.join(cert_path, f"idp-{first + i}.pem")) as f:
                return f.read()
        return shared

    shared = None if os.path.isdir(cert_path) else open(cert_path).read()
    now = int(time.time())
    con = sqlite3.connect(db, timeout=30)
    with con:
        # a previous run's entries (the same BENCH_DIR)
        con.execute("DELETE FROM jg_idps WHERE name LIKE 'store-idp-%'")
        con.execute("DELETE FROM jg_clients WHERE name LIKE 'store-sp-%'")
        for i in range(int(idps)):
            doc = {"name": f"store-idp-{i}", "issuer": f"https://store-idp-{i}.example",
                   "enabled": True, "certificate": pem(i), "aliases": [audience],
                   "iat_validity": 1800, "profiles": ["rfc7523"]}
            # issuer: the column a search of the console's lists reads
            con.execute("INSERT INTO jg_idps (tenant, name, doc, created_by, created_at, "
                        "updated_by, updated_at, issuer) VALUES ('carbon.super', ?, ?, "
                        "'bench', ?, 'bench', ?, ?)",
                        (doc["name"], json.dumps(doc), now, now, doc["issuer"]))
        for i in range(int(clients)):
            secret = f"store-secret-{i}-0123456789abcdefghij"
            hashed = "{SHA256}" + base64.b64encode(
                hashlib.sha256(secret.encode()).digest()).decode()
            doc = {"name": f"store-sp-{i}", "client_id": f"store-sp-{i}",
                   "scopes": ["openid"], "audience": [], "trusted_idps": None}
            con.execute("INSERT INTO jg_clients (tenant, name, doc, created_by, created_at, "
                        "updated_by, updated_at, client_id, secret_hash) VALUES "
                        "('carbon.super', ?, ?, 'bench', ?, 'bench', ?, ?, ?)",
                        (doc["name"], json.dumps(doc), now, now, doc["client_id"], hashed))
        con.execute("UPDATE jg_generation SET value = value + 1 WHERE id = 1")
    con.close()


if __name__ == "__main__":
    main()
