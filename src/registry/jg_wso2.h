/* Moving from WSO2 Identity Server: its file-based identity provider XML
 * (repository/conf/identity/identity-providers/NAME.xml) read into IdP
 * entries, and a tenant's IdPs written in the same format, so that an
 * export imports back unchanged.
 *
 * Read: <IdentityProvider> (one per WSO2 file) or <IdentityProviders>
 * around several (what the export writes). Used: IdentityProviderName,
 * DisplayName, Alias (repeatable), IsEnabled, Certificate (PEM, or base64
 * DER as WSO2 writes it), and the IdpProperties idpIssuerName, jwksUri,
 * and our own iatValidityPeriod and jwksAllowHttp. Other elements
 * (ClaimConfig, authenticators, ...) are ignored.
 *
 * Parsed with libxml2 without network access, with no DTD (a document that
 * has one is refused, so no entity can be defined, let alone expanded) and
 * at most JG_WSO2_MAX_XML bytes. */
#ifndef JG_WSO2_H
#define JG_WSO2_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "jg_status.h"
#include "jg_entry.h"

#define JG_WSO2_MAX_XML (1024 * 1024)
#define JG_WSO2_MAX_IDPS 256

/* libxml2's global set-up: once, before threads use the parser. */
void jg_wso2_init(void);

/* Entries (jg_idp_entry_t *), checked as a submission at now; on failure
 * err names the field and the message the IdP. */
jg_status_t jg_wso2_import(apr_pool_t *p, const char *xml, size_t len, long long now,
                           apr_array_header_t **entries, jg_entry_error_t *err);

/* <IdentityProviders> holding every entry (jg_idp_entry_t *). */
const char *jg_wso2_export(apr_pool_t *p, const apr_array_header_t *entries);

#endif
