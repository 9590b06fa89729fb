/* The "Activity" section of the console's tenant, IdP and service
 * provider pages: tokens issued and refused in the last hour and day, the
 * last token, the most frequent refusal reasons (jg_admin_activity). */
#ifndef JG_CONSOLE_ACTIVITY_H
#define JG_CONSOLE_ACTIVITY_H

#include "jg_console_cx.h"
#include "jg_html.h"

/* The section for c's tenant (name NULL) or its IdP or service provider
 * name (kind JG_ACTIVITY_*), appended to h. */
void jg_console_activity(jg_cx_t *c, jg_html_t *h, const char *kind, const char *name);

#endif
