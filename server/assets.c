/* Looking up the embedded web UI files; the table itself is generated (see assets.h). */
#include "assets.h"

#include <string.h>

const argus_asset *argus_asset_find(const char *path)
{
    for (size_t i = 0; i < argus_assets_count; i++)
        if (!strcmp(argus_assets[i].path, path))
            return &argus_assets[i];
    return NULL;
}
