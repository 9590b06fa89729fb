/* jwt-grant-tool manuals: one page per command plus an overview, printed by
 * "jwt-grant-tool --help", "jwt-grant-tool help COMMAND" and
 * "jwt-grant-tool COMMAND --help". docs/jwt-grant-tool.md says the same at
 * more length, and man/jwt-grant-tool.1.in as a man page; keep the three in
 * step (tests/py/test_man_pages.py checks the commands and options). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include "jg_tool.h"

static const char help_tool[] =
"NAME\n"
"    jwt-grant-tool - mint, sign and verify JWTs for mod_oauth_jwt_grant\n"
"\n"
"SYNOPSIS\n"
"    jwt-grant-tool [--verbose] COMMAND [OPTIONS] [ARGS]\n"
"    jwt-grant-tool help [COMMAND]\n"
"    jwt-grant-tool --help | --version\n"
"\n"
"DESCRIPTION\n"
"    Uses the same JOSE core as the Apache module, so a token this tool\n"
"    accepts is a token the module's signature checks accept.\n"
"\n"
"COMMANDS\n"
"    verify          check a JWS with trusted keys and print its payload\n"
"    sign            sign a JSON payload as a compact JWS\n"
"    mint-assertion  make an RFC 7523 JWT bearer assertion\n"
"    jwk             print the public JWK of a PEM key or certificate\n"
"    hash-secret     hash a client secret for JWTGrantClientSecret\n"
"    jwks-fetch      fetch an IdP's JWKS URL (or find it by discovery of its\n"
"                    issuer) and show its keys as the module sees them\n"
"    wso2-import     import WSO2 identity provider XML into a registry store\n"
"    wso2-export     write a tenant's identity providers as WSO2 XML\n"
"    help            show the manual of a command\n"
"\n"
"OPTIONS\n"
"    -v, --verbose   show the core's diagnostics on standard error\n"
"    -h, --help      show this text\n"
"    -V, --version   print the version\n"
"\n"
"EXIT STATUS\n"
"    0 success; 1 token (or fetched JWKS) rejected; 2 usage error or\n"
"    unusable key;\n"
"    3 internal error.\n"
"\n"
"EXAMPLES\n"
"    jwt-grant-tool mint-assertion --key idp-key.pem --iss jwtIDP \\\n"
"        --sub alice --aud https://localhost/oauth2/token\n"
"    jwt-grant-tool jwk idp-cert.pem\n";

static const char help_verify[] =
"NAME\n"
"    jwt-grant-tool verify - check a JWS signature and print its payload\n"
"\n"
"SYNOPSIS\n"
"    jwt-grant-tool verify --key FILE [--alg ALG]... [--allow-expired] JWS|-\n"
"\n"
"DESCRIPTION\n"
"    Parses a compact JWS and verifies its signature with the keys of FILE,\n"
"    by the module's rules: \"none\" is refused; the algorithm must suit the\n"
"    key (its JWK \"alg\" when present, else its type and curve) and be in\n"
"    the --alg list when one is given; \"kid\" only selects among the keys\n"
"    of FILE; keys and URLs in the header (jwk, jku, x5c, x5u) are never\n"
"    used; an unknown \"crit\" member is refused. Claims (exp, aud, ...)\n"
"    are NOT checked. On success prints the payload, then a newline.\n"
"\n"
"OPTIONS\n"
"    -k, --key FILE     JWK, JWKS, PEM public or private key, or PEM\n"
"                       certificate(s) (checked against the current time)\n"
"    -a, --alg ALG      accepted algorithm; repeat it or give a comma list\n"
"                       (HS256..HS512 RS256..RS512 PS256..PS512\n"
"                       ES256 ES384 ES512 EdDSA)\n"
"    --allow-expired    accept certificates outside their validity period\n"
"    -h, --help         show this text\n"
"    JWS                the compact token, or - to read it from stdin\n"
"\n"
"EXIT STATUS\n"
"    0 verified; 1 rejected, with one line \"jwt-grant-tool: rejected:\n"
"    REASON\" on stderr; 2 usage error, or a key file that is missing,\n"
"    weak or holds no key usable for verification; 3 internal error.\n"
"\n"
"EXAMPLES\n"
"    jwt-grant-tool verify --key idp-cert.pem --alg RS256 \"$ASSERTION\"\n"
"    echo \"$ASSERTION\" | jwt-grant-tool verify --key jwks.json -\n";

static const char help_sign[] =
"NAME\n"
"    jwt-grant-tool sign - sign a JSON payload as a compact JWS\n"
"\n"
"SYNOPSIS\n"
"    jwt-grant-tool sign --key FILE [--alg ALG] [--kid KID] [--header JSON]\n"
"                        CLAIMS_JSON|-\n"
"\n"
"DESCRIPTION\n"
"    Signs CLAIMS_JSON byte for byte as given (it must be a JSON object)\n"
"    and prints the compact JWS. The key must be private or a secret (oct)\n"
"    key; a JWKS holding several such keys needs --kid to pick one.\n"
"\n"
"OPTIONS\n"
"    -k, --key FILE     PEM private key, private JWK or JWKS, or oct JWK\n"
"    -a, --alg ALG      algorithm; default: the key's JWK \"alg\", else\n"
"                       RS256, the curve's ES*, EdDSA or HS256\n"
"    --kid KID          header kid; default: the key's kid, else none;\n"
"                       --kid '' omits it\n"
"    --header JSON      extra protected header members, e.g.\n"
"                       '{\"typ\":\"JWT\"}'\n"
"                       (alg, crit, b64 and key material cannot be set)\n"
"    -h, --help         show this text\n"
"    CLAIMS_JSON        the payload, or - to read it from stdin\n"
"\n"
"EXIT STATUS\n"
"    0 printed; 2 usage error, payload not a JSON object, or a key that\n"
"    cannot sign with ALG; 3 internal error.\n"
"\n"
"EXAMPLES\n"
"    jwt-grant-tool sign --key es256.pem '{\"sub\":\"alice\"}'\n"
"    jwt-grant-tool sign --key secret.jwk --alg HS384 - < claims.json\n";

static const char help_mint[] =
"NAME\n"
"    jwt-grant-tool mint-assertion - make an RFC 7523 JWT bearer assertion\n"
"\n"
"SYNOPSIS\n"
"    jwt-grant-tool mint-assertion --key FILE --iss ISS --sub SUB\n"
"        --aud AUD [--aud AUD]... [--alg ALG] [--kid KID]\n"
"        [--lifetime SECONDS] [--jti ID] [--iat EPOCH] [--nbf EPOCH]\n"
"        [--claim NAME=VALUE]... [--header JSON]\n"
"        [--id-jag --client-id ID]\n"
"\n"
"DESCRIPTION\n"
"    Prints a signed JWT with the claims iss, sub, aud (a string, or an\n"
"    array when --aud is repeated), iat, exp = iat + lifetime, a random\n"
"    jti (128 bits), nbf when asked and each --claim: ready to POST as\n"
"    the \"assertion\" of grant_type=\n"
"    urn:ietf:params:oauth:grant-type:jwt-bearer.\n"
"\n"
"OPTIONS\n"
"    -k, --key FILE     signing key, as for sign\n"
"    --iss ISS          issuer: the trusted IdP's JWTGrantIdPIssuer\n"
"    --sub SUB          subject: the user or client the token is for\n"
"    --aud AUD          audience: the token endpoint or an IdP alias;\n"
"                       repeatable\n"
"    -a, --alg ALG      algorithm; default as for sign\n"
"    --kid KID          header kid; default: the key's kid, else its RFC 7638\n"
"                       thumbprint (what \"jwt-grant-tool jwk\" prints);\n"
"                       --kid '' omits it\n"
"    --lifetime SECONDS exp - iat (default 300)\n"
"    --jti ID           fixed jti instead of a random one\n"
"    --iat EPOCH        issue time in seconds since 1970 (default now)\n"
"    --nbf EPOCH        not-before time (default: no nbf claim)\n"
"    --claim NAME=VALUE extra claim; VALUE is JSON when it parses as JSON\n"
"                       (5, true, [\"a\"], {\"x\":1}, \"quoted\"), else a\n"
"                       string; iss, sub, aud, iat, exp and jti cannot be\n"
"                       set this way\n"
"    --header JSON      extra protected header members\n"
"    --id-jag           an Identity Assertion JWT Authorization Grant\n"
"                       (ID-JAG): header typ oauth-id-jag+jwt; needs\n"
"                       --client-id and one --aud, the authorization\n"
"                       server's issuer (JWTGrantIssuer)\n"
"    --client-id ID     the client_id claim: the client that will present it\n"
"    -h, --help         show this text\n"
"\n"
"EXIT STATUS\n"
"    0 printed; 2 usage error or unusable key; 3 internal error.\n"
"\n"
"EXAMPLES\n"
"    jwt-grant-tool mint-assertion --key idp-key.pem --iss jwtIDP \\\n"
"        --sub admin --aud https://localhost:9443/oauth2/token \\\n"
"        --claim scope=openid --claim groups='[\"ops\"]'\n";

static const char help_jwk[] =
"NAME\n"
"    jwt-grant-tool jwk - print the public JWK of a key or certificate\n"
"\n"
"SYNOPSIS\n"
"    jwt-grant-tool jwk [--allow-expired] FILE\n"
"\n"
"DESCRIPTION\n"
"    Prints, on one line, the public JWK of the key in FILE (PEM public or\n"
"    private key, PEM certificate, or JWK), or {\"keys\":[...]} when FILE\n"
"    holds several. kid is the key's own, else its RFC 7638 SHA-256\n"
"    thumbprint. Private members are never printed; secret (oct) keys\n"
"    have no public form and are refused.\n"
"\n"
"OPTIONS\n"
"    --allow-expired    accept certificates outside their validity period\n"
"    -h, --help         show this text\n"
"\n"
"EXIT STATUS\n"
"    0 printed; 2 usage error or unusable key; 3 internal error.\n"
"\n"
"EXAMPLES\n"
"    jwt-grant-tool jwk idp-cert.pem > idp.jwk\n"
"    cat idp1.pem idp2.pem > both.pem\n"
"    jwt-grant-tool jwk both.pem > jwks.json\n";

static const char help_hash[] =
"NAME\n"
"    jwt-grant-tool hash-secret - hash a client secret for httpd.conf\n"
"\n"
"SYNOPSIS\n"
"    jwt-grant-tool hash-secret SECRET|-\n"
"\n"
"DESCRIPTION\n"
"    Prints {SHA256} followed by base64(SHA-256(SECRET)), the form\n"
"    JWTGrantClientSecret expects. With - the secret is the first line of\n"
"    standard input, which keeps it out of the process list and the shell\n"
"    history. A secret shorter than 16 characters draws a warning: client\n"
"    secrets should be long and random, for the hash is fast.\n"
"\n"
"OPTIONS\n"
"    -h, --help         show this text\n"
"    --                 end of options, for a secret that starts with -\n"
"\n"
"EXIT STATUS\n"
"    0 printed; 2 usage error (no secret, an empty one).\n"
"\n"
"EXAMPLES\n"
"    openssl rand -base64 32 | tee secret.txt | jwt-grant-tool hash-secret -\n";

static const char help_jwks_fetch[] =
"NAME\n"
"    jwt-grant-tool jwks-fetch - fetch a JWKS URL as the module does\n"
"\n"
"SYNOPSIS\n"
"    jwt-grant-tool jwks-fetch [--allow-http] [--ca-file FILE] [--ca-path DIR]\n"
"        [--proxy URL] [--connect-timeout S] [--timeout S] [--max-size BYTES]\n"
"        [--json] URL\n"
"    jwt-grant-tool jwks-fetch --discovery [OPTIONS] ISSUER\n"
"\n"
"DESCRIPTION\n"
"    Fetches URL with the module's HTTP client and judges the answer with\n"
"    the module's rules, for operators debugging a JWTGrantIdPJWKSURL:\n"
"    https only (plain http with --allow-http), the server's certificate\n"
"    verified, redirects (at most 3) only to https, the body at most\n"
"    --max-size bytes, no proxy unless --proxy (the environment's\n"
"    http_proxy is ignored). The answer must be HTTP 200 with a JWKS whose\n"
"    keys all pass the module's checks (RSA >= 2048 bits, EC points on\n"
"    their curve, no duplicate kid, no private or secret key, at least one\n"
"    key for signatures). Prints the final URL, the status, Cache-Control\n"
"    max-age and the lifetime the module would give the keys (with the\n"
"    default bounds), the validators, then one line per key: kid, type,\n"
"    size or curve, algorithm, RFC 7638 thumbprint, or why it is not used.\n"
"\n"
"    With --discovery, for a JWTGrantIdPDiscovery: the argument is the\n"
"    IdP's issuer (JWTGrantIdPIssuer), and the keys are fetched from the\n"
"    jwks_uri of its discovery document, ISSUER/.well-known/openid-\n"
"    configuration, or, when that is not found (404, 410), its RFC 8414\n"
"    metadata (.well-known/oauth-authorization-server inserted before the\n"
"    issuer's path); the document's issuer must be ISSUER exactly and its\n"
"    jwks_uri an https URL (http too with --allow-http). Prints the\n"
"    document's URL and the jwks_uri first.\n"
"\n"
"OPTIONS\n"
"    --allow-http           allow a plain-http URL (loopback tests)\n"
"    --ca-file FILE         PEM CA bundle (default: the system's)\n"
"    --ca-path DIR          hashed CA directory\n"
"    --proxy URL            proxy, e.g. http://proxy:3128\n"
"    --connect-timeout S    seconds to connect (default 3)\n"
"    --timeout S            seconds for the whole fetch (default 5)\n"
"    --max-size BYTES       largest body accepted (default 262144)\n"
"    --json                 print the JWKS as the module keeps it (x5c\n"
"                           chains removed) instead of the summary\n"
"    --discovery            URL is an issuer: find its JWKS URL by discovery\n"
"    -h, --help             show this text\n"
"\n"
"EXIT STATUS\n"
"    0 keys accepted; 1 rejected: the fetch failed (network, TLS, timeout,\n"
"    size, redirect), the status was not 200, the discovery document was\n"
"    not found or refused (another issuer, no usable jwks_uri), or the\n"
"    keys were refused,\n"
"    with one line \"jwt-grant-tool: rejected: REASON\" on stderr; 2 usage\n"
"    error (a bad option, a URL that is not https); 3 internal error.\n"
"\n"
"EXAMPLES\n"
"    jwt-grant-tool jwks-fetch https://www.googleapis.com/oauth2/v3/certs\n"
"    jwt-grant-tool jwks-fetch --ca-file /etc/ssl/idp-ca.pem \\\n"
"        https://idp.example.com/jwks.json\n"
"    jwt-grant-tool jwks-fetch --discovery https://accounts.google.com\n";
static const char help_wso2_import[] =
"NAME\n"
"    jwt-grant-tool wso2-import - WSO2 identity provider XML into a store\n"
"\n"
"SYNOPSIS\n"
"    jwt-grant-tool wso2-import --store sqlite3:FILE [--tenant T]\n"
"        [--user NAME] [--default-tenant NAME] XML|-\n"
"\n"
"DESCRIPTION\n"
"    Reads WSO2 Identity Server's file-based identity provider XML\n"
"    (repository/conf/identity/identity-providers/NAME.xml, or the\n"
"    <IdentityProviders> of wso2-export) and registers every IdP in tenant\n"
"    T of the SQLite registry store (JWTGrantStore), all or none, with the\n"
"    console's checks. The tenant is created when the store lacks it.\n"
"    Running servers pick the change up within JWTGrantStorePollInterval.\n"
"    The XML is read without network access and without any DTD.\n"
"\n"
"OPTIONS\n"
"    --store sqlite3:FILE   the store (httpd's JWTGrantStore)\n"
"    --tenant T             default: the default tenant\n"
"    --user NAME            recorded as the author (default: your login)\n"
"    --default-tenant NAME  JWTGrantDefaultTenant (default carbon.super)\n"
"\n"
"EXIT STATUS\n"
"    0 imported; 1 refused (bad XML, a certificate, a name taken);\n"
"    2 usage; 3 the store failed.\n"
"\n"
"EXAMPLES\n"
"    jwt-grant-tool wso2-import --tenant wso2.com \\\n"
"        --store sqlite3:/var/lib/apache2/jwt-grant/store/registry.db \\\n"
"        repository/conf/identity/identity-providers/jwtIDP.xml\n";

static const char help_wso2_export[] =
"NAME\n"
"    jwt-grant-tool wso2-export - a tenant's identity providers as WSO2 XML\n"
"\n"
"SYNOPSIS\n"
"    jwt-grant-tool wso2-export --store sqlite3:FILE [--tenant T]\n"
"\n"
"DESCRIPTION\n"
"    Prints the store's identity providers of tenant T as\n"
"    <IdentityProviders>, which wso2-import (and the console) read back\n"
"    unchanged. Entries of httpd.conf are not in the store and not printed.\n"
"\n"
"EXIT STATUS\n"
"    0 printed; 1 no such tenant; 2 usage; 3 the store failed.\n"
"\n"
"EXAMPLES\n"
"    jwt-grant-tool wso2-export --tenant wso2.com \\\n"
"        --store sqlite3:/var/lib/apache2/jwt-grant/store/registry.db > idps.xml\n";

static const struct {
    const char *cmd;
    const char *text;
} pages[] = {
    { "verify", help_verify },
    { "sign", help_sign },
    { "mint-assertion", help_mint },
    { "jwk", help_jwk },
    { "hash-secret", help_hash },
    { "jwks-fetch", help_jwks_fetch },
    { "wso2-import", help_wso2_import },
    { "wso2-export", help_wso2_export },
    { "help", help_tool },
    { NULL, NULL }
};

const char *jgt_help_text(const char *cmd)
{
    int i;

    if (cmd == NULL)
        return help_tool;
    for (i = 0; pages[i].cmd; i++)
        if (strcmp(pages[i].cmd, cmd) == 0)
            return pages[i].text;
    return NULL;
}

int jgt_help(const char *cmd)
{
    const char *text = jgt_help_text(cmd);

    fputs(text ? text : help_tool, stdout);
    return JGT_EXIT_OK;
}
