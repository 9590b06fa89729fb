/* The console's HTML pages, without HTTP: tenants, trusted IdPs
 * and service providers per tenant, the forms to register, edit and delete
 * them, the page that shows a new client secret once. Works without
 * JavaScript (the script in htdocs/ only adds copy buttons and hides the
 * certificate field that the chosen certificate type does not use). Every
 * value is HTML-escaped; every form carries a CSRF token bound to the user;
 * changes go through jg_admin.h, so the API's rules hold here too.
 * jg_console.c routes and handles the forms, jg_console_pages.c renders the
 * pages, jg_console_csrf.c makes and checks the tokens. */
#ifndef JG_CONSOLE_H
#define JG_CONSOLE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "jg_admin.h"
#include "jg_console_csrf.h"
#include "jg_console_cx.h"

/* Every page and form acts on one tenant (?tenantDomain=; without it the
 * default tenant, or for a tenant administrator who does not administer
 * that one, the first tenant it does) and is refused with 403 when the
 * user's role does not allow it; creating a tenant needs a server
 * administrator. The refusal names nothing of the tenant asked for. */

void jg_console_handle(jg_admin_t *a, const jg_console_request_t *req,
                       jg_console_response_t *resp);

#endif
