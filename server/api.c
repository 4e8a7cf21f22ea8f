/* The REST API dispatcher: queue, worker pool, route sets and hot reload; see api.h.
 *   curl http://127.0.0.1:8080/api/services
 * A route set is what the Lua files declare (method, pattern, handler), made once by loading
 * every file into a scratch state and published with a generation number; each worker reloads
 * its own state when the generation changes. A user file that fails to load is logged and its
 * previous version (if any) stays in the set. */
#include "api.h"

#include "api_native.h"
#include "log.h"
#include "lua_bridge.h"
#include "lua_sources.h"
#include "store_read.h"
#include "thread.h"

#include <dirent.h>
#include <errno.h>
#include <lauxlib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_USER_FILES 256
#define MAX_FILE_BYTES (4 << 20)
#define HANDLERS_KEY "argus.handlers"
#define REQUEST_KEY "argus.request"

/* ---- route sets ---------------------------------------------------------------------------- */

typedef struct lua_file {
    char *name; /* "services.lua", "lib/time.lua" */
    char *text;
    size_t len;
    int user;
    int64_t mtime_ns; /* user files: what the last look saw */
    off_t size;
} lua_file;

typedef struct route_entry {
    int file;  /* index into files */
    int entry; /* index into the file's route list (1-based) */
} route_entry;

typedef struct route_set {
    int refs;
    uint64_t gen;
    lua_file *libs;
    size_t nlibs;
    lua_file *files;
    size_t nfiles;
    argus_http_route *routes; /* method/pattern strings owned */
    route_entry *where;
    size_t nroutes;
} route_set;

static void file_free(lua_file *f)
{
    free(f->name);
    free(f->text);
}

static int file_copy(lua_file *dst, const lua_file *src)
{
    *dst = *src;
    dst->name = strdup(src->name);
    dst->text = malloc(src->len + 1);
    if (!dst->name || !dst->text) {
        file_free(dst);
        return -1;
    }
    memcpy(dst->text, src->text, src->len);
    dst->text[src->len] = 0;
    return 0;
}

static void set_free(route_set *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->nlibs; i++)
        file_free(&rs->libs[i]);
    for (size_t i = 0; i < rs->nfiles; i++)
        file_free(&rs->files[i]);
    for (size_t i = 0; i < rs->nroutes; i++) {
        free((char *)rs->routes[i].method);
        free((char *)rs->routes[i].pattern);
    }
    free(rs->libs);
    free(rs->files);
    free(rs->routes);
    free(rs->where);
    free(rs);
}

/* A pattern's rank for ordering: literal segments before {params} before "*", segment by
 * segment, so "/api/logs/stream" is tried before "/api/logs/{id}". */
static int pattern_cmp(const char *a, const char *b)
{
    for (;;) {
        while (*a == '/')
            a++;
        while (*b == '/')
            b++;
        if (!*a || !*b)
            return (*a != 0) - (*b != 0);
        int ra = *a == '{' ? 1 : *a == '*' ? 2 : 0;
        int rb = *b == '{' ? 1 : *b == '*' ? 2 : 0;
        if (ra != rb)
            return ra - rb;
        size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
        if (ra == 0) {
            int c = strncmp(a, b, la < lb ? la : lb);
            if (c || la != lb)
                return c ? c : (int)la - (int)lb;
        }
        a += la;
        b += lb;
    }
}

static void set_sort(route_set *rs)
{
    /* insertion sort: stable, and route sets are small */
    for (size_t i = 1; i < rs->nroutes; i++) {
        argus_http_route r = rs->routes[i];
        route_entry w = rs->where[i];
        size_t j = i;
        while (j > 0 && pattern_cmp(rs->routes[j - 1].pattern, r.pattern) > 0) {
            rs->routes[j] = rs->routes[j - 1];
            rs->where[j] = rs->where[j - 1];
            j--;
        }
        rs->routes[j] = r;
        rs->where[j] = w;
    }
    for (size_t i = 0; i < rs->nroutes; i++)
        rs->routes[i].kind = (int)i;
}

/* Loads lib files into L's global "lib" table. */
static int load_libs(argus_lua *L, const route_set *rs, argus_lua_error *err)
{
    lua_State *ls = argus_lua_state(L);
    lua_newtable(ls);
    lua_setglobal(ls, "lib");
    for (size_t i = 0; i < rs->nlibs; i++) {
        const lua_file *f = &rs->libs[i];
        if (argus_lua_load(L, f->name, f->text, f->len, err) != 0)
            return -1;
        char mod[256];
        const char *base = strrchr(f->name, '/');
        snprintf(mod, sizeof mod, "%s", base ? base + 1 : f->name);
        char *dot = strrchr(mod, '.');
        if (dot)
            *dot = 0;
        lua_getglobal(ls, "lib");
        lua_insert(ls, -2);
        lua_setfield(ls, -2, mod);
        lua_pop(ls, 1);
    }
    return 0;
}

/* Runs one route file; on success leaves its route list (a table) on the stack. */
static int load_routes(argus_lua *L, const lua_file *f, argus_lua_error *err)
{
    lua_State *ls = argus_lua_state(L);
    if (argus_lua_load(L, f->name, f->text, f->len, err) != 0)
        return -1;
    int bad = !lua_istable(ls, -1);
    lua_Integer n = bad ? 0 : (lua_Integer)lua_rawlen(ls, -1);
    for (lua_Integer j = 1; !bad && j <= n; j++) {
        lua_rawgeti(ls, -1, j);
        if (!lua_istable(ls, -1)) {
            bad = 1;
        } else {
            lua_getfield(ls, -1, "method");
            lua_getfield(ls, -2, "path");
            lua_getfield(ls, -3, "handler");
            bad = lua_type(ls, -3) != LUA_TSTRING || lua_type(ls, -2) != LUA_TSTRING ||
                  lua_tostring(ls, -2)[0] != '/' || !lua_isfunction(ls, -1);
            lua_pop(ls, 3);
        }
        lua_pop(ls, 1);
    }
    if (bad) {
        lua_pop(ls, 1);
        memset(err, 0, sizeof *err);
        err->status = 500;
        snprintf(err->code, sizeof err->code, "internal");
        snprintf(err->message, sizeof err->message,
                 "%s: a route file returns a list of {method = \"GET\", path = \"/api/...\", "
                 "handler = function(req) ... end}",
                 f->name);
        return -1;
    }
    return 0;
}

static int scratch_state(argus_lua **L, const argus_api_options *o)
{
    char msg[256];
    argus_lua_limits lim = {.memory = o->lua_memory, .instructions = o->lua_instructions};
    if (argus_lua_new(L, &lim, NULL, msg, sizeof msg) != 0) {
        argus_log(ARGUS_LOG_ERROR, "lua state", "error=%s", msg);
        return -1;
    }
    return 0;
}

/* Fills rs->routes from rs->files (later files override earlier routes with the same method
 * and pattern). Returns 0, or -1 with err naming the failing file. */
static int set_collect(route_set *rs, const argus_api_options *o, argus_lua_error *err)
{
    argus_lua *L;
    if (scratch_state(&L, o) != 0) {
        snprintf(err->message, sizeof err->message, "cannot create a Lua state");
        return -1;
    }
    lua_State *ls = argus_lua_state(L);
    int rc = load_libs(L, rs, err);
    for (size_t i = 0; rc == 0 && i < rs->nfiles; i++) {
        if (load_routes(L, &rs->files[i], err) != 0) {
            rc = -1;
            break;
        }
        lua_Integer n = (lua_Integer)lua_rawlen(ls, -1);
        for (lua_Integer j = 1; j <= n; j++) {
            lua_rawgeti(ls, -1, j);
            lua_getfield(ls, -1, "method");
            lua_getfield(ls, -2, "path");
            const char *m = lua_tostring(ls, -2), *p = lua_tostring(ls, -1);
            size_t k;
            for (k = 0; k < rs->nroutes; k++)
                if (strcmp(rs->routes[k].method, m) == 0 && strcmp(rs->routes[k].pattern, p) == 0)
                    break;
            if (k == rs->nroutes) {
                argus_http_route *nr = realloc(rs->routes, (k + 1) * sizeof *nr);
                route_entry *nw = nr ? realloc(rs->where, (k + 1) * sizeof *nw) : NULL;
                if (nr)
                    rs->routes = nr;
                if (!nw) {
                    lua_pop(ls, 3);
                    rc = -1;
                    snprintf(err->message, sizeof err->message, "out of memory");
                    break;
                }
                rs->where = nw;
                rs->routes[k] = (argus_http_route){strdup(m), strdup(p), 0};
                rs->nroutes++;
            }
            rs->where[k] = (route_entry){(int)i, (int)j};
            lua_pop(ls, 3);
        }
        lua_pop(ls, 1);
    }
    argus_lua_free(L);
    if (rc == 0)
        set_sort(rs);
    return rc;
}

/* Checks that one user file loads (with the libraries) and declares routes. */
static int file_check(const route_set *base, const lua_file *f, const argus_api_options *o,
                      argus_lua_error *err)
{
    argus_lua *L;
    if (scratch_state(&L, o) != 0) {
        snprintf(err->message, sizeof err->message, "cannot create a Lua state");
        return -1;
    }
    int rc = load_libs(L, base, err);
    if (rc == 0)
        rc = load_routes(L, f, err);
    argus_lua_free(L);
    return rc;
}

/* ---- the dispatcher ------------------------------------------------------------------------ */

typedef struct job {
    argus_http_request *req;
} job;

typedef struct worker {
    argus_api *api;
    pthread_t thread;
    int started;
    argus_read *rd;
    argus_lua *L;
    uint64_t gen;
} worker;

struct argus_api {
    argus_config cfg;
    argus_writer *writer;
    argus_api_options o;
    argus_api_native native;

    pthread_mutex_t mu;
    pthread_cond_t more; /* jobs queued or stopping */
    job *queue;
    size_t qhead, qlen;
    int stopping;
    worker *workers;

    pthread_mutex_t set_mu; /* current */
    route_set *current;
    uint64_t gen;
    lua_file *user; /* the user files of the current set, as last loaded successfully */
    size_t nuser;

    argus_worker watcher; /* reloads ARGUS_LUA_DIR every reload_ms */
};

static route_set *set_get(argus_api *a)
{
    pthread_mutex_lock(&a->set_mu);
    route_set *rs = a->current;
    rs->refs++;
    pthread_mutex_unlock(&a->set_mu);
    return rs;
}

static void set_put(argus_api *a, route_set *rs)
{
    pthread_mutex_lock(&a->set_mu);
    int last = --rs->refs == 0;
    pthread_mutex_unlock(&a->set_mu);
    if (last)
        set_free(rs);
}

static int cmp_file(const void *x, const void *y)
{
    return strcmp(((const lua_file *)x)->name, ((const lua_file *)y)->name);
}

/* Builds a set from the embedded files and the user files (which replace an embedded route
 * file of the same name). */
static route_set *set_build(argus_api *a, const lua_file *user, size_t nuser, argus_lua_error *err)
{
    route_set *rs = calloc(1, sizeof *rs);
    if (!rs)
        return NULL;
    rs->libs = calloc(argus_lua_sources_count + 1, sizeof *rs->libs);
    rs->files = calloc(argus_lua_sources_count + nuser + 1, sizeof *rs->files);
    if (!rs->libs || !rs->files) {
        set_free(rs);
        return NULL;
    }
    for (size_t i = 0; i < argus_lua_sources_count; i++) {
        const argus_lua_source *s = &argus_lua_sources[i];
        int is_lib = strncmp(s->name, "lib/", 4) == 0;
        int replaced = 0;
        for (size_t u = 0; !is_lib && u < nuser; u++)
            replaced |= strcmp(user[u].name, s->name) == 0;
        if (replaced)
            continue;
        lua_file f = {.name = (char *)s->name, .text = (char *)s->text, .len = s->len};
        lua_file *dst = is_lib ? &rs->libs[rs->nlibs++] : &rs->files[rs->nfiles++];
        if (file_copy(dst, &f) != 0) {
            set_free(rs);
            return NULL;
        }
    }
    for (size_t u = 0; u < nuser; u++)
        if (file_copy(&rs->files[rs->nfiles++], &user[u]) != 0) {
            set_free(rs);
            return NULL;
        }
    if (set_collect(rs, &a->o, err) != 0) {
        set_free(rs);
        return NULL;
    }
    return rs;
}

static void publish(argus_api *a, route_set *rs)
{
    pthread_mutex_lock(&a->set_mu);
    route_set *old = a->current;
    rs->gen = ++a->gen;
    rs->refs = 1;
    a->current = rs;
    int last = old && --old->refs == 0;
    pthread_mutex_unlock(&a->set_mu);
    if (last)
        set_free(old);
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* Reads ARGUS_LUA_DIR: every *.lua file whose name is not hidden. Returns the count, or -1
 * when the directory cannot be read. */
static int scan_dir(const char *dir, lua_file *out, size_t max)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".lua") != 0)
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        out[n] = (lua_file){
            .name = strdup(e->d_name), .user = 1, .mtime_ns = mtime_ns(&st), .size = st.st_size};
        if (out[n].name)
            n++;
    }
    closedir(d);
    qsort(out, n, sizeof *out, cmp_file);
    return (int)n;
}

static int read_file(const char *dir, lua_file *f)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, f->name);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    f->text = malloc(MAX_FILE_BYTES + 1);
    size_t n = f->text ? fread(f->text, 1, MAX_FILE_BYTES + 1, fp) : 0;
    fclose(fp);
    if (!f->text || n > MAX_FILE_BYTES)
        return -1;
    f->text[n] = 0;
    f->len = n;
    return 0;
}

/* One look at the user directory: reloads when a file appeared, changed or went away. */
static void reload_user(argus_api *a, int first)
{
    lua_file *seen = calloc(MAX_USER_FILES, sizeof *seen);
    if (!seen)
        return;
    int n = scan_dir(a->o.lua_dir, seen, MAX_USER_FILES);
    if (n < 0) {
        if (first)
            argus_log(ARGUS_LOG_WARN, "cannot read the Lua directory", "key=ARGUS_LUA_DIR dir=%s",
                      a->o.lua_dir);
        free(seen);
        return;
    }
    int changed = (size_t)n != a->nuser;
    for (int i = 0; !changed && i < n; i++)
        changed = strcmp(seen[i].name, a->user[i].name) != 0 ||
                  seen[i].mtime_ns != a->user[i].mtime_ns || seen[i].size != a->user[i].size;
    if (!changed) {
        for (int i = 0; i < n; i++)
            file_free(&seen[i]);
        free(seen);
        return;
    }
    /* The new user list: each changed file that loads, else its previous version. */
    route_set *base = set_get(a);
    lua_file *next = calloc((size_t)n + 1, sizeof *next);
    size_t nn = 0;
    for (int i = 0; next && i < n; i++) {
        const lua_file *prev = NULL;
        for (size_t k = 0; k < a->nuser; k++)
            if (strcmp(a->user[k].name, seen[i].name) == 0)
                prev = &a->user[k];
        if (prev && prev->mtime_ns == seen[i].mtime_ns && prev->size == seen[i].size) {
            if (file_copy(&next[nn], prev) == 0)
                nn++;
            continue;
        }
        argus_lua_error err;
        char q[1100];
        lua_file f = seen[i];
        f.name = strdup(seen[i].name);
        if (!f.name || read_file(a->o.lua_dir, &f) != 0) {
            argus_log(ARGUS_LOG_ERROR, "cannot read a Lua file", "file=%s", seen[i].name);
            file_free(&f);
        } else if (file_check(base, &f, &a->o, &err) != 0) {
            argus_log(ARGUS_LOG_ERROR,
                      "Lua file failed to load; the previous version keeps serving",
                      "file=%s error=%s", f.name, argus_log_quote(q, sizeof q, err.message));
            file_free(&f);
        } else {
            next[nn++] = f;
            argus_log(ARGUS_LOG_INFO, "Lua file loaded", "file=%s", f.name);
            continue;
        }
        /* failed: keep the previous version, remembering the new mtime so the failure is
         * logged once per change */
        if (prev && file_copy(&next[nn], prev) == 0) {
            next[nn].mtime_ns = seen[i].mtime_ns;
            next[nn].size = seen[i].size;
            nn++;
        } else {
            next[nn] = (lua_file){.name = strdup(seen[i].name),
                                  .text = NULL,
                                  .len = 0,
                                  .user = 1,
                                  .mtime_ns = seen[i].mtime_ns,
                                  .size = seen[i].size};
            if (next[nn].name)
                nn++;
        }
    }
    set_put(a, base);
    for (int i = 0; i < n; i++)
        file_free(&seen[i]);
    free(seen);
    if (!next)
        return;
    /* Files that never loaded (text NULL) are remembered but not part of the set. */
    lua_file *loadable = calloc(nn + 1, sizeof *loadable);
    size_t nl = 0;
    for (size_t i = 0; loadable && i < nn; i++)
        if (next[i].text)
            loadable[nl++] = next[i];
    argus_lua_error err = {0};
    route_set *rs = loadable ? set_build(a, loadable, nl, &err) : NULL;
    free(loadable);
    if (!rs) {
        char q[1100];
        argus_log(ARGUS_LOG_ERROR, "Lua routes not reloaded", "error=%s",
                  argus_log_quote(q, sizeof q, err.message));
        for (size_t i = 0; i < nn; i++)
            file_free(&next[i]);
        free(next);
        return;
    }
    for (size_t i = 0; i < a->nuser; i++)
        file_free(&a->user[i]);
    free(a->user);
    a->user = next;
    a->nuser = nn;
    publish(a, rs);
    argus_log(ARGUS_LOG_INFO, "Lua routes loaded", "routes=%zu user_files=%zu generation=%llu",
              rs->nroutes, nl, (unsigned long long)rs->gen);
}

static void *watch_main(void *arg)
{
    argus_api *a = arg;
    while (!argus_worker_sleep_ms(&a->watcher, (int64_t)a->o.reload_ms))
        reload_user(a, 0);
    return NULL;
}

/* ---- a worker ------------------------------------------------------------------------------ */

static void reply_error(argus_http_request *r, unsigned status, const char *code,
                        const char *message)
{
    argus_http_header h[1];
    size_t n = 0;
    if (status == 503)
        h[n++] = (argus_http_header){"Retry-After", "1"};
    argus_http_error(r, status, code, h, n, "%s", message);
}

/* Makes the worker's state for rs: libraries, then every route file, with each route's handler
 * stored at its index in the registry's handler table. */
static int worker_load(worker *w, route_set *rs)
{
    argus_lua_free(w->L);
    w->L = NULL;
    char msg[256];
    argus_lua_limits lim = {.memory = w->api->o.lua_memory,
                            .instructions = w->api->o.lua_instructions,
                            .max_rows = w->api->o.max_rows};
    if (argus_lua_new(&w->L, &lim, w->rd, msg, sizeof msg) != 0) {
        argus_log(ARGUS_LOG_ERROR, "lua state", "error=%s", msg);
        return -1;
    }
    argus_lua_extend(w->L, argus_api_native_register, &w->api->native);
    lua_State *ls = argus_lua_state(w->L);
    argus_lua_error err;
    if (load_libs(w->L, rs, &err) != 0)
        goto fail;
    lua_createtable(ls, (int)rs->nroutes, 0);
    for (size_t i = 0; i < rs->nfiles; i++) {
        if (load_routes(w->L, &rs->files[i], &err) != 0)
            goto fail;
        for (size_t k = 0; k < rs->nroutes; k++) {
            if (rs->where[k].file != (int)i)
                continue;
            lua_rawgeti(ls, -1, rs->where[k].entry);
            lua_getfield(ls, -1, "handler");
            lua_rawseti(ls, -4, (lua_Integer)k + 1);
            lua_pop(ls, 1);
        }
        lua_pop(ls, 1);
    }
    lua_setfield(ls, LUA_REGISTRYINDEX, HANDLERS_KEY);
    w->gen = rs->gen;
    return 0;
fail:;
    char q[1100];
    argus_log(ARGUS_LOG_ERROR, "Lua routes failed to load in a worker", "error=%s",
              argus_log_quote(q, sizeof q, err.message));
    argus_lua_free(w->L);
    w->L = NULL;
    return -1;
}

/* req.header(name): the request header, while the request is being handled. */
static int req_header(lua_State *ls)
{
    const char *name = luaL_checkstring(ls, 1);
    lua_getfield(ls, LUA_REGISTRYINDEX, REQUEST_KEY);
    argus_http_request *r = lua_touserdata(ls, -1);
    lua_pop(ls, 1);
    const char *v = r ? argus_http_header_get(r, name) : NULL;
    if (v)
        lua_pushstring(ls, v);
    else
        lua_pushnil(ls);
    return 1;
}

/* Pushes the request table handlers get (docs/lua.md). */
static void push_request(lua_State *ls, argus_http_request *r, const argus_http_route *rt)
{
    lua_createtable(ls, 0, 8);
    lua_pushstring(ls, argus_http_method(r));
    lua_setfield(ls, -2, "method");
    lua_pushstring(ls, argus_http_path(r));
    lua_setfield(ls, -2, "path");
    lua_newtable(ls);
    for (const char *p = strchr(rt->pattern, '{'); p; p = strchr(p, '{')) {
        const char *end = strchr(p, '}');
        if (!end)
            break;
        lua_pushlstring(ls, p + 1, (size_t)(end - p - 1));
        const char *v = argus_http_param(r, lua_tostring(ls, -1));
        if (v)
            lua_pushstring(ls, v);
        else
            lua_pushnil(ls);
        lua_settable(ls, -3);
        p = end;
    }
    lua_setfield(ls, -2, "params");
    lua_newtable(ls); /* query */
    lua_newtable(ls); /* query_all */
    size_t n = argus_http_query_count(r);
    for (size_t i = 0; i < n; i++) {
        const char *name, *value;
        if (argus_http_query_at(r, i, &name, &value) != 0)
            continue;
        if (lua_getfield(ls, -1, name) != LUA_TTABLE) {
            lua_pop(ls, 1);
            lua_newtable(ls);
            lua_pushvalue(ls, -1);
            lua_setfield(ls, -3, name);
            lua_pushstring(ls, value);
            lua_setfield(ls, -4, name);
        }
        lua_pushstring(ls, value);
        lua_rawseti(ls, -2, (lua_Integer)lua_rawlen(ls, -2) + 1);
        lua_pop(ls, 1);
    }
    lua_setfield(ls, -3, "query_all");
    lua_setfield(ls, -2, "query");
    size_t blen = 0;
    const void *body = argus_http_body(r, &blen);
    lua_pushlstring(ls, body ? body : "", body ? blen : 0);
    lua_setfield(ls, -2, "body");
    lua_pushcfunction(ls, req_header);
    lua_setfield(ls, -2, "header");
}

static void handle(worker *w, argus_http_request *r, route_set *rs)
{
    unsigned status = 404;
    char allow[128] = "";
    const argus_http_route *rt =
        argus_http_route_match(r, rs->routes, rs->nroutes, &status, allow, sizeof allow);
    if (!rt) {
        if (status == 405) {
            argus_http_header h = {"Allow", allow};
            argus_http_error(r, 405, "method_not_allowed", &h, 1, "%s is not allowed on %s (%s)",
                             argus_http_method(r), argus_http_path(r), allow);
        } else {
            argus_http_error(r, 404, "not_found", NULL, 0, "no API route %s", argus_http_path(r));
        }
        return;
    }
    if (!w->L) {
        reply_error(r, 503, "unavailable", "the API worker could not load its routes");
        return;
    }
    lua_State *ls = argus_lua_state(w->L);
    lua_getfield(ls, LUA_REGISTRYINDEX, HANDLERS_KEY);
    lua_rawgeti(ls, -1, (lua_Integer)rt->kind + 1);
    lua_remove(ls, -2);
    push_request(ls, r, rt);
    lua_pushlightuserdata(ls, r);
    lua_setfield(ls, LUA_REGISTRYINDEX, REQUEST_KEY);
    argus_lua_error err;
    int rc = argus_lua_call(w->L, 1, 3, &err);
    lua_pushnil(ls);
    lua_setfield(ls, LUA_REGISTRYINDEX, REQUEST_KEY);
    int taken = argus_api_native_taken(ls);
    if (rc != 0) {
        if (taken) /* the stream answered already; the error only goes to the log */
            err.status = 500;
        if (err.status >= 500) {
            char q[1100], t[2200];
            argus_log(ARGUS_LOG_ERROR, "API handler failed", "route=%s status=%u error=%s trace=%s",
                      rt->pattern, err.status, argus_log_quote(q, sizeof q, err.message),
                      argus_log_quote(t, sizeof t, err.trace));
        }
        if (!taken)
            reply_error(r, err.status, err.code, err.message);
        return;
    }
    if (taken) { /* a stream took over the request */
        lua_pop(ls, 3);
        return;
    }
    unsigned code = lua_isinteger(ls, -2) ? (unsigned)lua_tointeger(ls, -2) : 200;
    if (code < 100 || code > 599)
        code = 500;
    argus_http_header h[16];
    size_t nh = 0;
    const char *ctype = "application/json";
    if (lua_istable(ls, -1)) {
        lua_pushnil(ls);
        while (nh < 16 && lua_next(ls, -2)) {
            if (lua_type(ls, -2) == LUA_TSTRING && lua_type(ls, -1) == LUA_TSTRING) {
                const char *k = lua_tostring(ls, -2), *v = lua_tostring(ls, -1);
                if (strcasecmp(k, "Content-Type") == 0)
                    ctype = v;
                else
                    h[nh++] = (argus_http_header){k, v};
            }
            lua_pop(ls, 1); /* the strings stay alive in the headers table */
        }
    }
    if (lua_type(ls, -3) == LUA_TSTRING) {
        size_t len;
        const char *body = lua_tolstring(ls, -3, &len);
        argus_http_respond(r, code, ctype, body, len, h, nh);
    } else if (lua_isnil(ls, -3)) {
        argus_http_respond(r, code == 200 ? 204 : code, NULL, "", 0, h, nh);
    } else {
        char *json;
        size_t len;
        if (argus_lua_to_json(w->L, -3, &json, &len, &err) != 0) {
            reply_error(r, 500, err.code, err.message);
        } else {
            argus_http_respond(r, code, ctype, json, len, h, nh);
            free(json);
        }
    }
    lua_pop(ls, 3);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    argus_api *a = w->api;
    for (;;) {
        pthread_mutex_lock(&a->mu);
        while (!a->stopping && a->qlen == 0)
            pthread_cond_wait(&a->more, &a->mu);
        if (a->qlen == 0) {
            pthread_mutex_unlock(&a->mu);
            break;
        }
        job j = a->queue[a->qhead];
        a->qhead = (a->qhead + 1) % a->o.queue;
        a->qlen--;
        pthread_mutex_unlock(&a->mu);
        if (!w->rd) {
            char msg[512];
            argus_read_limits lim = {.statement_ms = a->o.statement_ms,
                                     .busy_ms = a->cfg.sqlite_busy_timeout_ms,
                                     .cache = 64};
            if (argus_read_open(&w->rd, &a->cfg, &lim, msg, sizeof msg) != 0) {
                reply_error(j.req, 503, "unavailable", msg);
                continue;
            }
            argus_lua_free(w->L); /* its db table pointed at no connection */
            w->L = NULL;
        }
        route_set *rs = set_get(a);
        if (!w->L || w->gen != rs->gen || argus_lua_exhausted(w->L))
            worker_load(w, rs);
        handle(w, j.req, rs);
        set_put(a, rs);
    }
    argus_lua_free(w->L);
    argus_read_close(w->rd);
    w->L = NULL;
    w->rd = NULL;
    return NULL;
}

/* ---- public -------------------------------------------------------------------------------- */

static void default_options(argus_api_options *o)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *o = (argus_api_options){.workers = cpus < 2    ? 2
                                        : cpus > 32 ? 32
                                                    : (unsigned)cpus,
                             .queue = 64,
                             .lua_memory = (size_t)64 << 20,
                             .lua_instructions = 100000000,
                             .statement_ms = 10000,
                             .max_rows = 100000,
                             .reload_ms = 250,
                             .sse_max_clients = 256,
                             .sse_keepalive_ms = 15000};
}

int argus_api_start(argus_api **out, const argus_config *cfg, argus_writer *w, char *msg,
                    size_t msglen)
{
    argus_api_options o;
    default_options(&o);
    argus_api_options_from_config(&o, cfg);
    return argus_api_start_with(out, cfg, w, &o, msg, msglen);
}

int argus_api_start_with(argus_api **out, const argus_config *cfg, argus_writer *w,
                         const argus_api_options *opts, char *msg, size_t msglen)
{
    *out = NULL;
    argus_api *a = argus_new_component(sizeof *a, "api", msg, msglen);
    if (!a)
        return -1;
    a->cfg = *cfg;
    a->writer = w;
    default_options(&a->o);
    if (opts)
        a->o = *opts;
    if (a->o.workers == 0)
        a->o.workers = 2;
    if (a->o.queue == 0)
        a->o.queue = 64;
    if (a->o.reload_ms == 0)
        a->o.reload_ms = 250;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->more, NULL);
    pthread_mutex_init(&a->set_mu, NULL);
    argus_worker_init(&a->watcher);
    if (argus_api_native_init(&a->native, &a->cfg, w, &a->o, msg, msglen) != 0) {
        argus_api_free(a);
        return -1;
    }

    argus_lua_error err = {0};
    route_set *rs = set_build(a, NULL, 0, &err);
    if (!rs) {
        snprintf(msg, msglen, "api: the shipped Lua routes do not load: %s", err.message);
        argus_api_free(a);
        return -1;
    }
    publish(a, rs);
    if (a->o.lua_dir[0]) {
        reload_user(a, 1);
        char why[200], q[300];
        if (argus_worker_start(&a->watcher, "argus-lua-watch", watch_main, a, why, sizeof why))
            argus_log(ARGUS_LOG_WARN, "Lua routes are not reloaded", "error=%s",
                      argus_log_quote(q, sizeof q, why));
    }
    a->queue = calloc(a->o.queue, sizeof *a->queue);
    a->workers = calloc(a->o.workers, sizeof *a->workers);
    if (!a->queue || !a->workers) {
        snprintf(msg, msglen, "api: out of memory");
        argus_api_free(a);
        return -1;
    }
    for (unsigned i = 0; i < a->o.workers; i++) {
        a->workers[i].api = a;
        if (argus_thread_start(&a->workers[i].thread, "argus-api", worker_main, &a->workers[i]) !=
            0) {
            snprintf(msg, msglen, "api: cannot start worker threads: %s", strerror(errno));
            argus_api_free(a);
            return -1;
        }
        a->workers[i].started = 1;
    }
    rs = set_get(a); /* the set loaded above may already have been replaced by a reload */
    argus_log(ARGUS_LOG_INFO, "API ready",
              "routes=%zu workers=%u queue=%u lua_memory=%zu lua_instructions=%llu lua_dir=%s",
              rs->nroutes, a->o.workers, a->o.queue, a->o.lua_memory,
              (unsigned long long)a->o.lua_instructions, a->o.lua_dir[0] ? a->o.lua_dir : "(none)");
    set_put(a, rs);
    *out = a;
    return 0;
}

int argus_api_handle(argus_api *a, argus_http_request *r)
{
    const char *path = argus_http_path(r);
    if (strncmp(path, "/api/", 5) != 0 && strcmp(path, "/api") != 0 &&
        strcmp(path, "/metrics") != 0)
        return 0;
    pthread_mutex_lock(&a->mu);
    if (a->stopping || a->qlen == a->o.queue) {
        int stopping = a->stopping;
        pthread_mutex_unlock(&a->mu);
        reply_error(r, 503, stopping ? "unavailable" : "busy",
                    stopping ? "the server is shutting down"
                             : "every API worker is busy and the queue is full; retry shortly");
        return 1;
    }
    a->queue[(a->qhead + a->qlen) % a->o.queue] = (job){r};
    a->qlen++;
    pthread_cond_signal(&a->more);
    pthread_mutex_unlock(&a->mu);
    return 1;
}

void argus_api_stop(argus_api *a)
{
    if (!a)
        return;
    argus_worker_stop(&a->watcher);
    pthread_mutex_lock(&a->mu);
    a->stopping = 1;
    /* what nobody took yet is answered now; running handlers finish */
    while (a->qlen) {
        job j = a->queue[a->qhead];
        a->qhead = (a->qhead + 1) % a->o.queue;
        a->qlen--;
        reply_error(j.req, 503, "unavailable", "the server is shutting down");
    }
    pthread_cond_broadcast(&a->more);
    pthread_mutex_unlock(&a->mu);
    for (unsigned i = 0; a->workers && i < a->o.workers; i++)
        if (a->workers[i].started) {
            pthread_join(a->workers[i].thread, NULL);
            a->workers[i].started = 0;
        }
    argus_api_native_stop(&a->native);
}

void argus_api_free(argus_api *a)
{
    if (!a)
        return;
    argus_api_stop(a);
    argus_api_native_free(&a->native);
    if (a->current)
        set_free(a->current);
    for (size_t i = 0; i < a->nuser; i++)
        file_free(&a->user[i]);
    free(a->user);
    free(a->queue);
    free(a->workers);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->more);
    pthread_mutex_destroy(&a->set_mu);
    argus_worker_destroy(&a->watcher);
    free(a);
}
