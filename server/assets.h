/* The web UI's files, embedded in argus-server. The table is generated at build time into
 * <build>/gen/argus_assets.c (never committed): from web/dist when the UI is built, empty when
 * Node is absent or -DARGUS_WEB=OFF. routes.c serves GET <path> with argus_http_respond_static()
 * and every other GET outside /api/, /v1/, /healthz, /readyz, /metrics with "/index.html".
 *   const argus_asset *a = argus_asset_find("/index.html");   NULL when not embedded
 */
#ifndef ARGUS_ASSETS_H
#define ARGUS_ASSETS_H

#include <stddef.h>

typedef struct argus_asset {
    const char *path;         /* "/index.html", "/assets/index-3f2a1b.js" */
    const char *content_type; /* "text/html; charset=utf-8" */
    const unsigned char *data;
    size_t len;
    const unsigned char *gzip; /* gzip == NULL when not worth it */
    size_t gzip_len;
    const char *etag; /* quoted, e.g. "\"3f2a1b9c\"" */
    int immutable;    /* hashed file name: cache for a year */
} argus_asset;

extern const argus_asset argus_assets[];
extern const size_t argus_assets_count;

/* The asset with exactly this path, or NULL (linear search: the table is small). */
const argus_asset *argus_asset_find(const char *path);

#endif
