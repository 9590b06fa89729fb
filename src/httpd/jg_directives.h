/* Directive and handler names: the user-facing contract,
 * in one place. */
#ifndef JG_DIRECTIVES_H
#define JG_DIRECTIVES_H

#define JG_HANDLER_TOKEN    "jwt-grant-token"
#define JG_HANDLER_JWKS     "jwt-grant-jwks"
#define JG_HANDLER_METADATA "jwt-grant-metadata"
/* Prometheus metrics (jg_metrics.c) */
#define JG_HANDLER_METRICS  "jwt-grant-metrics"

/* server scope */
#define JG_CMD_ISSUER           "JWTGrantIssuer"
#define JG_CMD_TOKEN_ENDPOINT   "JWTGrantTokenEndpoint"
#define JG_CMD_JWKS_URI         "JWTGrantJWKSURI"
#define JG_CMD_DEFAULT_TENANT   "JWTGrantDefaultTenant"
#define JG_CMD_CACHE            "JWTGrantCache"
#define JG_CMD_JWKS_CACHE       "JWTGrantJWKSCache"
#define JG_CMD_TOKEN_FORMAT     "JWTGrantTokenFormat"
#define JG_CMD_TOKEN_LIFETIME   "JWTGrantTokenLifetime"
#define JG_CMD_SIGNING_KEY      "JWTGrantSigningKey"
#define JG_CMD_SIGNING_ALG      "JWTGrantSigningAlg"
#define JG_CMD_CLOCK_SKEW       "JWTGrantClockSkew"
#define JG_CMD_REQUIRE_AUTH     "JWTGrantRequireClientAuth"
#define JG_CMD_STATE_DIR        "JWTGrantStateDir"
#define JG_CMD_REPLAY_HORIZON   "JWTGrantReplayHorizon"
#define JG_CMD_METRICS          "JWTGrantMetrics"
#define JG_CMD_REPLAY_CACHE_SIZE "JWTGrantReplayCacheSize"

/* server scope: fetching IdPs' JWKS URLs */
#define JG_CMD_JWKS_CA_FILE     "JWTGrantJWKSCACertificateFile"
#define JG_CMD_JWKS_CA_PATH     "JWTGrantJWKSCACertificatePath"
#define JG_CMD_JWKS_PROXY       "JWTGrantJWKSProxy"
#define JG_CMD_JWKS_TIMEOUT     "JWTGrantJWKSTimeout"
#define JG_CMD_JWKS_MAX_SIZE    "JWTGrantJWKSMaxSize"
#define JG_CMD_JWKS_LIFETIME    "JWTGrantJWKSCacheLifetime"
#define JG_CMD_JWKS_REFRESH     "JWTGrantJWKSRefreshInterval"
#define JG_CMD_JWKS_MAX_STALE   "JWTGrantJWKSMaxStale"
/* networks besides public addresses that JWKS URLs registered through the
 * console may reach (jg_netguard.h names it too) */
#define JG_CMD_JWKS_ALLOW_NETWORKS "JWTGrantJWKSAllowNetworks"
/* the store and the console */
#define JG_HANDLER_ADMIN        "jwt-grant-admin"
#define JG_CMD_STORE            "JWTGrantStore"
#define JG_CMD_STORE_POLL       "JWTGrantStorePollInterval"
#define JG_CMD_CONSOLE_ASSETS   "JWTGrantConsoleAssets"
/* the console's roles: in its <Location> (per-directory) */
#define JG_CMD_CONSOLE_ADMINS   "JWTGrantConsoleAdmins"
#define JG_CMD_CONSOLE_TENANT_ADMINS "JWTGrantConsoleTenantAdmins"
#define JG_CMD_CONSOLE_GROUP_FILE "JWTGrantConsoleGroupFile"

/* refresh tokens, introspection, revocation */
#define JG_HANDLER_INTROSPECT   "jwt-grant-introspect"
#define JG_HANDLER_REVOKE       "jwt-grant-revoke"
#define JG_CMD_REFRESH_TOKENS   "JWTGrantRefreshTokens"
#define JG_CMD_REFRESH_LIFETIME "JWTGrantRefreshTokenLifetime"
#define JG_CMD_INTROSPECTION_EP "JWTGrantIntrospectionEndpoint"
#define JG_CMD_REVOCATION_EP    "JWTGrantRevocationEndpoint"
#define JG_CMD_CLIENT_REFRESH   "JWTGrantClientRefreshTokens"
#define JG_CMD_CLIENT_REFRESH_LIFETIME "JWTGrantClientRefreshTokenLifetime"
#define JG_CMD_CLIENT_INTROSPECT "JWTGrantClientIntrospect"
#define JG_CMD_CLIENT_COPY_CLAIMS "JWTGrantClientCopyClaims"

/* DPoP (RFC 9449) */
#define JG_CMD_DPOP_ALGS        "JWTGrantDPoPAlgorithms"
#define JG_CMD_DPOP_LIFETIME    "JWTGrantDPoPProofLifetime"
#define JG_CMD_DPOP_NONCE       "JWTGrantDPoPNonce"
#define JG_CMD_CLIENT_REQUIRE_DPOP "JWTGrantClientRequireDPoP"

/* containers */
#define JG_SEC_TENANT           "<JWTGrantTenant"
#define JG_SEC_IDP              "<JWTGrantTrustedIdP"
#define JG_SEC_CLIENT           "<JWTGrantServiceProvider"

/* inside <JWTGrantTrustedIdP> */
#define JG_CMD_IDP_ISSUER       "JWTGrantIdPIssuer"
#define JG_CMD_IDP_ENABLED      "JWTGrantIdPEnabled"
#define JG_CMD_IDP_CERTIFICATE  "JWTGrantIdPCertificate"
#define JG_CMD_IDP_SECRET       "JWTGrantIdPSharedSecret"
#define JG_CMD_IDP_ALIAS        "JWTGrantIdPAlias"
#define JG_CMD_IDP_ALGORITHMS   "JWTGrantIdPAlgorithms"
#define JG_CMD_IDP_IAT_VALIDITY "JWTGrantIdPIatValidity"
#define JG_CMD_IDP_MAX_LIFETIME "JWTGrantIdPMaxLifetime"
#define JG_CMD_IDP_REQUIRE_JTI  "JWTGrantIdPRequireJTI"
#define JG_CMD_IDP_SCOPES       "JWTGrantIdPScopes"
#define JG_CMD_IDP_AUDIENCES    "JWTGrantIdPAudiences"
#define JG_CMD_IDP_PROFILES     "JWTGrantIdPProfiles"
#define JG_CMD_IDP_PADDING      "JWTGrantIdPAllowPaddedBase64"
#define JG_CMD_IDP_JWKS_URL     "JWTGrantIdPJWKSURL"
#define JG_CMD_IDP_JWKS_HTTP    "JWTGrantIdPJWKSAllowHTTP"
#define JG_CMD_IDP_DISCOVERY    "JWTGrantIdPDiscovery"
/* its trust policy (docs/trust-policy.md) */
#define JG_CMD_IDP_REQUIRE_CLAIM "JWTGrantIdPRequireClaim"
#define JG_CMD_IDP_SUBJECT_CLAIM "JWTGrantIdPSubjectClaim"
#define JG_CMD_IDP_SUBJECT_PREFIX "JWTGrantIdPSubjectPrefix"
#define JG_CMD_IDP_MAP_CLAIM    "JWTGrantIdPMapClaim"
#define JG_CMD_IDP_CONDITIONAL_SCOPE "JWTGrantIdPConditionalScope"
#define JG_CMD_IDP_LIMIT_LIFETIME "JWTGrantIdPLimitTokenLifetime"

/* inside <JWTGrantServiceProvider> */
#define JG_CMD_CLIENT_ID        "JWTGrantClientID"
#define JG_CMD_CLIENT_SECRET    "JWTGrantClientSecret"
#define JG_CMD_CLIENT_SCOPES    "JWTGrantClientScopes"
#define JG_CMD_CLIENT_AUDIENCE  "JWTGrantClientAudience"
#define JG_CMD_CLIENT_CALLBACK  "JWTGrantClientCallbackURL"
#define JG_CMD_CLIENT_IDPS      "JWTGrantClientTrustedIdPs"
/* client authentication by JWT */
#define JG_CMD_CLIENT_AUTH_METHOD "JWTGrantClientAuthMethod"
#define JG_CMD_CLIENT_JWKS_URL  "JWTGrantClientJWKSURL"
#define JG_CMD_CLIENT_JWKS_HTTP "JWTGrantClientJWKSAllowHTTP"
#define JG_CMD_CLIENT_JWKS      "JWTGrantClientJWKS"
#define JG_CMD_CLIENT_CERTIFICATE "JWTGrantClientCertificate"
#define JG_CMD_CLIENT_JWT_SECRET "JWTGrantClientJWTSecret"
#define JG_CMD_CLIENT_ASSERTION_LIFETIME "JWTGrantClientAssertionMaxLifetime"
/* conditions on the JWT bearer assertions it presents */
#define JG_CMD_CLIENT_REQUIRE_CLAIM "JWTGrantClientRequireClaim"

/* request notes for mod_log_config (%{NAME}n) */
#define JG_NOTE_TENANT  "JWT_GRANT_TENANT"
#define JG_NOTE_CLIENT  "JWT_GRANT_CLIENT"
#define JG_NOTE_IDP     "JWT_GRANT_IDP"
#define JG_NOTE_ISS     "JWT_GRANT_ISS"
#define JG_NOTE_SUB     "JWT_GRANT_SUB"
#define JG_NOTE_JTI     "JWT_GRANT_JTI"
#define JG_NOTE_OUTCOME "JWT_GRANT_OUTCOME"
#define JG_NOTE_REASON  "JWT_GRANT_REASON"
#define JG_NOTE_GRANT_TYPE "JWT_GRANT_GRANT_TYPE"
/* What failed when JWTGrantCache's Redis or memcached server did, and "1"
 * when that was within its outage (whose own lines are the errors) */
#define JG_NOTE_CACHE_FAULT "JWT_GRANT_CACHE_FAULT"
#define JG_NOTE_OUTAGE "JWT_GRANT_OUTAGE"

#endif
