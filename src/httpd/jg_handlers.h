/* The handlers: token endpoint, public keys, metadata. */
#ifndef JG_HANDLERS_H
#define JG_HANDLERS_H

#include <httpd.h>

int jg_handler(request_rec *r);

/* map_to_storage: no file-system walk for our handlers' locations. */
int jg_map_to_storage(request_rec *r);

#endif
