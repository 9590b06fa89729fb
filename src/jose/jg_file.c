#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include "jg_key.h"

jg_status_t jg_file_read(apr_pool_t *p, const char *path, size_t max,
                         char **data, size_t *len, const char **why)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    apr_size_t n;
    char *buf;

    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, p);
    if (rv != APR_SUCCESS)
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "cannot open %s: %pm", path, &rv));
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, f);
    if (rv != APR_SUCCESS || fi.filetype != APR_REG) {
        apr_file_close(f);
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "%s is not a regular file", path));
    }
    if (fi.size < 0 || (apr_uint64_t)fi.size > max) {
        apr_file_close(f);
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "%s is larger than %lu bytes",
                                                    path, (unsigned long)max));
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(p, n + 1);
    rv = apr_file_read_full(f, buf, n, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !(rv == APR_EOF && n == 0))
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "cannot read %s: %pm", path, &rv));
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return JG_OK;
}
