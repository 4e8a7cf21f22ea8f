/* The sandboxed Lua state of an API worker; see lua_bridge.h and docs/lua.md.
 *   local n = db.value("SELECT count(*) FROM spans WHERE service_name = ?", req.params.service)
 *   return json.encode({spans = n})
 * Limits: the allocator refuses growth past the memory cap; a count hook charges every
 * HOOK_STEP instructions against the call's budget. Once a limit is hit, pcall/xpcall inside
 * the script re-raise instead of catching, so a script cannot swallow its own stop. */
#include "lua_bridge.h"

#include "log.h"
#include "thread.h"

#include <jansson.h>
#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOOK_STEP 1000
#define JSON_MAX_DEPTH 200
#define TRACE_KEY "argus.trace"
#define ARRAY_MT_KEY "argus.json_array"

struct argus_lua {
    lua_State *ls;
    argus_lua_limits lim;
    size_t used;
    int capped;     /* the memory cap applies (after the libraries are open) */
    int hit_cap;    /* an allocation was refused during this call */
    int over_steps; /* the instruction budget ran out during this call */
    uint64_t spent; /* instructions of this call */
    argus_read *rd;
    argus_read_stmt *open; /* the statement a db call is reading, if any */
};

static argus_lua *self(lua_State *ls)
{
    argus_lua *L;
    memcpy(&L, lua_getextraspace(ls), sizeof L);
    return L;
}

static void *cap_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    argus_lua *L = ud;
    if (!ptr)
        osize = 0;
    if (nsize == 0) {
        free(ptr);
        L->used -= osize;
        return NULL;
    }
    if (L->capped && nsize > osize && L->used - osize + nsize > L->lim.memory) {
        L->hit_cap = 1;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p)
        L->used = L->used - osize + nsize;
    return p;
}

static void on_count(lua_State *ls, lua_Debug *ar)
{
    (void)ar;
    argus_lua *L = self(ls);
    L->spent += HOOK_STEP;
    if (L->lim.instructions && L->spent > L->lim.instructions) {
        L->over_steps = 1;
        luaL_error(ls, "the handler ran past its limit of %llu instructions",
                   (unsigned long long)L->lim.instructions);
    }
}

/* ---- errors -------------------------------------------------------------------------------- */

static void push_error(lua_State *ls, unsigned status, const char *code, const char *message)
{
    lua_createtable(ls, 0, 3);
    lua_pushinteger(ls, status);
    lua_setfield(ls, -2, "status");
    lua_pushstring(ls, code);
    lua_setfield(ls, -2, "code");
    lua_pushstring(ls, message);
    lua_setfield(ls, -2, "message");
}

int argus_lua_raise(lua_State *ls, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    push_error(ls, status, code, msg);
    return lua_error(ls);
}

/* api.error(status, code, message) */
static int api_error(lua_State *ls)
{
    lua_Integer status = luaL_checkinteger(ls, 1);
    const char *code = luaL_checkstring(ls, 2);
    const char *message = luaL_optstring(ls, 3, code);
    if (status < 400 || status > 599)
        return luaL_error(ls, "api.error: status must be 400-599, got %d", (int)status);
    push_error(ls, (unsigned)status, code, message);
    return lua_error(ls);
}

/* The message handler of every call: keeps a traceback for internal errors. */
static int on_error(lua_State *ls)
{
    if (!lua_istable(ls, 1)) {
        const char *m = lua_tostring(ls, 1);
        luaL_traceback(ls, ls, m ? m : "(error object is not a string)", 1);
        lua_setfield(ls, LUA_REGISTRYINDEX, TRACE_KEY);
    }
    return 1;
}

static void copy_str(char *dst, size_t n, const char *s)
{
    snprintf(dst, n, "%s", s ? s : "");
}

/* The one place a failed call becomes an argus_lua_error. Pops the error value. */
static void to_error(argus_lua *L, int status, argus_lua_error *err)
{
    lua_State *ls = L->ls;
    memset(err, 0, sizeof *err);
    err->status = 500;
    copy_str(err->code, sizeof err->code, "internal");
    if (L->over_steps) {
        copy_str(err->code, sizeof err->code, "limit");
        snprintf(err->message, sizeof err->message,
                 "the handler ran past its limit of %llu instructions",
                 (unsigned long long)L->lim.instructions);
    } else if (status == LUA_ERRMEM || L->hit_cap) {
        copy_str(err->code, sizeof err->code, "limit");
        snprintf(err->message, sizeof err->message,
                 "the handler ran out of memory (limit %zu bytes)", L->lim.memory);
    } else if (lua_istable(ls, -1)) {
        lua_getfield(ls, -1, "status");
        lua_getfield(ls, -2, "code");
        lua_getfield(ls, -3, "message");
        if (lua_isinteger(ls, -3))
            err->status = (unsigned)lua_tointeger(ls, -3);
        if (lua_type(ls, -2) == LUA_TSTRING)
            copy_str(err->code, sizeof err->code, lua_tostring(ls, -2));
        if (lua_type(ls, -1) == LUA_TSTRING)
            copy_str(err->message, sizeof err->message, lua_tostring(ls, -1));
        else
            copy_str(err->message, sizeof err->message, "(an error table without a message)");
        lua_pop(ls, 3);
    } else if (lua_type(ls, -1) == LUA_TSTRING) {
        copy_str(err->message, sizeof err->message, lua_tostring(ls, -1));
    } else {
        snprintf(err->message, sizeof err->message, "(error object is a %s value)",
                 luaL_typename(ls, -1));
    }
    lua_pop(ls, 1);
    if (lua_getfield(ls, LUA_REGISTRYINDEX, TRACE_KEY) == LUA_TSTRING)
        copy_str(err->trace, sizeof err->trace, lua_tostring(ls, -1));
    lua_pop(ls, 1);
}

/* ---- sandboxed base functions ------------------------------------------------------------- */

static int stopping(argus_lua *L)
{
    return L->over_steps || L->hit_cap;
}

/* lua_pcall of the function below nargs arguments that cannot catch the stop of a limit or an
 * out-of-memory error (they are raised again); else returns the status boolean followed by the
 * results: in slot 1, replacing the message handler there (msgh == 1) or inserted (msgh == 0). */
static int guarded_pcall(lua_State *ls, int nargs, int msgh)
{
    int st = lua_pcall(ls, nargs, LUA_MULTRET, msgh);
    if (st != LUA_OK && (stopping(self(ls)) || st == LUA_ERRMEM))
        return lua_error(ls);
    lua_pushboolean(ls, st == LUA_OK);
    if (msgh)
        lua_replace(ls, msgh);
    else
        lua_insert(ls, 1);
    return lua_gettop(ls);
}

/* pcall(f, ...) that cannot catch the stop of a limit. */
static int sb_pcall(lua_State *ls)
{
    luaL_checkany(ls, 1);
    return guarded_pcall(ls, lua_gettop(ls) - 1, 0);
}

/* xpcall(f, msgh, ...) likewise. */
static int sb_xpcall(lua_State *ls)
{
    int n = lua_gettop(ls);
    luaL_checktype(ls, 2, LUA_TFUNCTION);
    lua_pushvalue(ls, 1);
    lua_pushvalue(ls, 2);
    lua_replace(ls, 1);
    lua_replace(ls, 2); /* 1 = msgh, 2 = f */
    return guarded_pcall(ls, n - 2, 1);
}

/* load(text [, chunkname [, mode [, env]]]): text chunks only. */
static int sb_load(lua_State *ls)
{
    size_t len;
    const char *s = lua_tolstring(ls, 1, &len);
    if (!s || lua_type(ls, 1) != LUA_TSTRING)
        return luaL_error(ls, "load: only strings of Lua source can be loaded here");
    const char *name = luaL_optstring(ls, 2, "=(load)");
    int env = !lua_isnone(ls, 4) ? 4 : 0;
    if (luaL_loadbufferx(ls, s, len, name, "t") != LUA_OK) {
        lua_pushnil(ls);
        lua_insert(ls, -2);
        return 2;
    }
    if (env) {
        lua_pushvalue(ls, env);
        if (!lua_setupvalue(ls, -2, 1))
            lua_pop(ls, 1);
    }
    return 1;
}

/* print(...) writes one log line. */
static int sb_print(lua_State *ls)
{
    luaL_Buffer b;
    luaL_buffinit(ls, &b);
    int n = lua_gettop(ls);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(ls, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    char q[1100];
    argus_log(ARGUS_LOG_INFO, "lua print", "text=%s",
              argus_log_quote(q, sizeof q, lua_tostring(ls, -1)));
    return 0;
}

/* collectgarbage("count" | "collect" | "step"): the others would let a script turn the
 * collector off. */
static int sb_collectgarbage(lua_State *ls)
{
    static const char *const opts[] = {"collect", "count", "step", NULL};
    int o = luaL_checkoption(ls, 1, "collect", opts);
    if (o == 1) {
        lua_pushnumber(ls, (lua_Number)lua_gc(ls, LUA_GCCOUNT, 0) +
                               (lua_Number)lua_gc(ls, LUA_GCCOUNTB, 0) / 1024);
        return 1;
    }
    lua_gc(ls, o == 0 ? LUA_GCCOLLECT : LUA_GCSTEP, 0);
    lua_pushinteger(ls, 0);
    return 1;
}

static int api_now_ns(lua_State *ls)
{
    lua_pushinteger(ls, (lua_Integer)argus_wall_ns());
    return 1;
}

static int api_log(lua_State *ls)
{
    static const char *const levels[] = {"debug", "info", "warn", "error", NULL};
    int lvl = luaL_checkoption(ls, 1, NULL, levels);
    const char *m = luaL_checkstring(ls, 2);
    char q[1100];
    argus_log((argus_log_level)lvl, "lua", "message=%s", argus_log_quote(q, sizeof q, m));
    return 0;
}

/* ---- JSON (jansson) ------------------------------------------------------------------------ */

static json_t *to_json(lua_State *ls, int idx, int depth, char *why, size_t whylen);

static int is_array_marked(lua_State *ls, int idx)
{
    if (!lua_getmetatable(ls, idx))
        return 0;
    luaL_getmetatable(ls, ARRAY_MT_KEY);
    int r = lua_rawequal(ls, -1, -2);
    lua_pop(ls, 2);
    return r;
}

static json_t *table_to_json(lua_State *ls, int idx, int depth, char *why, size_t whylen)
{
    idx = lua_absindex(ls, idx);
    if (depth > JSON_MAX_DEPTH || !lua_checkstack(ls, 4)) {
        snprintf(why, whylen, "json.encode: nested deeper than %d levels (a cycle?)",
                 JSON_MAX_DEPTH);
        return NULL;
    }
    size_t n = lua_rawlen(ls, idx), count = 0;
    int all_seq = 1;
    lua_pushnil(ls);
    while (lua_next(ls, idx)) {
        count++;
        if (!lua_isinteger(ls, -2) || lua_tointeger(ls, -2) < 1 ||
            (size_t)lua_tointeger(ls, -2) > n)
            all_seq = 0;
        lua_pop(ls, 1);
    }
    if (is_array_marked(ls, idx) || (count > 0 && all_seq && count == n)) {
        json_t *a = json_array();
        for (size_t i = 1; a && i <= n; i++) {
            lua_rawgeti(ls, idx, (lua_Integer)i);
            json_t *v = to_json(ls, -1, depth + 1, why, whylen);
            lua_pop(ls, 1);
            if (!v || json_array_append_new(a, v) != 0) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    json_t *o = json_object();
    lua_pushnil(ls);
    while (o && lua_next(ls, idx)) {
        char num[32];
        const char *key;
        size_t klen;
        if (lua_type(ls, -2) == LUA_TSTRING) {
            key = lua_tolstring(ls, -2, &klen);
        } else if (lua_isinteger(ls, -2)) {
            klen = (size_t)snprintf(num, sizeof num, "%lld", (long long)lua_tointeger(ls, -2));
            key = num;
        } else {
            snprintf(why, whylen, "json.encode: object keys must be strings, got a %s",
                     luaL_typename(ls, -2));
            lua_pop(ls, 2);
            json_decref(o);
            return NULL;
        }
        json_t *v = to_json(ls, -1, depth + 1, why, whylen);
        if (!v || json_object_setn_new(o, key, klen, v) != 0) {
            if (v && !why[0])
                snprintf(why, whylen, "json.encode: object key is not valid UTF-8");
            lua_pop(ls, 2);
            json_decref(o);
            return NULL;
        }
        lua_pop(ls, 1);
    }
    return o;
}

static json_t *to_json(lua_State *ls, int idx, int depth, char *why, size_t whylen)
{
    json_t *v = NULL;
    switch (lua_type(ls, idx)) {
    case LUA_TNIL: return json_null();
    case LUA_TBOOLEAN: return json_boolean(lua_toboolean(ls, idx));
    case LUA_TNUMBER:
        if (lua_isinteger(ls, idx))
            return json_integer((json_int_t)lua_tointeger(ls, idx));
        if (!isfinite(lua_tonumber(ls, idx))) {
            snprintf(why, whylen, "json.encode: NaN and infinity have no JSON form");
            return NULL;
        }
        return json_real(lua_tonumber(ls, idx));
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(ls, idx, &len);
        v = json_stringn(s, len);
        if (!v)
            snprintf(why, whylen, "json.encode: a string is not valid UTF-8");
        return v;
    }
    case LUA_TTABLE: return table_to_json(ls, idx, depth, why, whylen);
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(ls, idx) == NULL)
            return json_null();
        /* fall through */
    default:
        snprintf(why, whylen, "json.encode: a %s value has no JSON form", luaL_typename(ls, idx));
        return NULL;
    }
}

int argus_lua_to_json(argus_lua *L, int idx, char **out, size_t *len, argus_lua_error *err)
{
    char why[256] = "";
    json_t *j = to_json(L->ls, idx, 0, why, sizeof why);
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (!s) {
        memset(err, 0, sizeof *err);
        err->status = 500;
        copy_str(err->code, sizeof err->code, "internal");
        copy_str(err->message, sizeof err->message, why[0] ? why : "json.encode: out of memory");
        return -1;
    }
    *out = s;
    *len = strlen(s);
    return 0;
}

static int push_owned(lua_State *ls)
{
    lua_pushstring(ls, lua_touserdata(ls, 1));
    return 1;
}

static int json_encode(lua_State *ls)
{
    luaL_checkany(ls, 1);
    char why[256] = "";
    json_t *j = to_json(ls, 1, 0, why, sizeof why);
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (!s)
        return luaL_error(ls, "%s", why[0] ? why : "json.encode: out of memory");
    /* Pushing may raise a memory error: do it in a protected call so s is always freed. */
    lua_pushcfunction(ls, push_owned);
    lua_pushlightuserdata(ls, s);
    int st = lua_pcall(ls, 1, 1, 0);
    free(s);
    return st == LUA_OK ? 1 : lua_error(ls);
}

static void push_json(lua_State *ls, json_t *j, int depth)
{
    luaL_checkstack(ls, 4, "json.decode: nested too deep");
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        lua_createtable(ls, 0, (int)json_object_size(j));
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v)
        {
            push_json(ls, v, depth + 1);
            lua_setfield(ls, -2, k);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        lua_createtable(ls, (int)n, 0);
        for (size_t i = 0; i < n; i++) {
            push_json(ls, json_array_get(j, i), depth + 1);
            lua_rawseti(ls, -2, (lua_Integer)i + 1);
        }
        luaL_setmetatable(ls, ARRAY_MT_KEY);
        break;
    }
    case JSON_STRING: lua_pushlstring(ls, json_string_value(j), json_string_length(j)); break;
    case JSON_INTEGER: lua_pushinteger(ls, (lua_Integer)json_integer_value(j)); break;
    case JSON_REAL: lua_pushnumber(ls, json_real_value(j)); break;
    case JSON_TRUE:
    case JSON_FALSE: lua_pushboolean(ls, json_is_true(j)); break;
    default: lua_pushlightuserdata(ls, NULL); break;
    }
}

static int push_json_protected(lua_State *ls)
{
    json_t *j = lua_touserdata(ls, 1);
    push_json(ls, j, 0);
    return 1;
}

/* json.decode(text) -> value, or nil + message for invalid JSON. */
static int json_decode(lua_State *ls)
{
    size_t len;
    const char *s = luaL_checklstring(ls, 1, &len);
    json_error_t e;
    json_t *j = json_loadb(s, len, JSON_DECODE_ANY, &e);
    if (!j) {
        lua_pushnil(ls);
        lua_pushfstring(ls, "invalid JSON at line %d column %d: %s", e.line, e.column, e.text);
        return 2;
    }
    lua_pushcfunction(ls, push_json_protected);
    lua_pushlightuserdata(ls, j);
    int st = lua_pcall(ls, 1, 1, 0);
    json_decref(j);
    if (st != LUA_OK)
        return lua_error(ls);
    return 1;
}

/* json.array(t): marks t to encode as an array even when empty. */
static int json_array_mark(lua_State *ls)
{
    if (lua_isnoneornil(ls, 1))
        lua_newtable(ls);
    luaL_checktype(ls, 1, LUA_TTABLE);
    lua_settop(ls, 1);
    luaL_setmetatable(ls, ARRAY_MT_KEY);
    return 1;
}

/* ---- db ------------------------------------------------------------------------------------ */

enum { Q_ROWS, Q_ROW, Q_VALUE, Q_JSON };

static void push_column(lua_State *ls, argus_read_stmt *st, int i)
{
    size_t len;
    switch (argus_read_column_type(st, i)) {
    case ARGUS_READ_INT: lua_pushinteger(ls, (lua_Integer)argus_read_int64(st, i)); break;
    case ARGUS_READ_FLOAT: lua_pushnumber(ls, argus_read_double(st, i)); break;
    case ARGUS_READ_TEXT: {
        const char *s = argus_read_text(st, i, &len);
        lua_pushlstring(ls, s, len);
        break;
    }
    case ARGUS_READ_BLOB: {
        const void *p = argus_read_blob(st, i, &len);
        lua_pushlstring(ls, p ? p : "", len);
        break;
    }
    default: lua_pushnil(ls);
    }
}

static void push_row(lua_State *ls, argus_read_stmt *st, int ncols)
{
    lua_createtable(ls, 0, ncols);
    for (int i = 0; i < ncols; i++) {
        if (argus_read_column_type(st, i) == ARGUS_READ_NULL)
            continue;
        push_column(ls, st, i);
        lua_setfield(ls, -2, argus_read_column_name(st, i));
    }
}

static int db_fail(lua_State *ls, argus_lua *L, int rc, const char *what)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s: %s", what, argus_read_error(L->rd));
    if (L->open) {
        argus_read_done(L->open);
        L->open = NULL;
    }
    if (rc == ARGUS_READ_TIMEOUT)
        return argus_lua_raise(ls, 503, "timeout", "%s", msg);
    if (rc == ARGUS_READ_BUSY)
        return argus_lua_raise(ls, 503, "busy", "%s", msg);
    return argus_lua_raise(ls, 500, "internal", "%s", msg);
}

static int db_query(lua_State *ls, int mode)
{
    static const char *const names[] = {"db.rows", "db.row", "db.value", "db.json"};
    argus_lua *L = self(ls);
    size_t len;
    const char *sql = luaL_checklstring(ls, 1, &len);
    int nargs = lua_gettop(ls) - 1;
    if (!L->rd)
        return argus_lua_raise(ls, 500, "internal", "%s: no database here", names[mode]);
    argus_read_stmt *st;
    int rc = argus_read_prepare(L->rd, sql, (int)len, &st);
    if (rc != ARGUS_READ_OK)
        return db_fail(ls, L, rc, names[mode]);
    L->open = st;
    int nparams = argus_read_param_count(st);
    if (nparams != nargs) {
        argus_read_done(st);
        L->open = NULL;
        return argus_lua_raise(ls, 500, "internal",
                               "%s: the statement has %d parameters, %d values were given",
                               names[mode], nparams, nargs);
    }
    for (int i = 1; i <= nargs && rc == ARGUS_READ_OK; i++) {
        int a = i + 1;
        switch (lua_type(ls, a)) {
        case LUA_TNIL: rc = argus_read_bind_null(st, i); break;
        case LUA_TBOOLEAN: rc = argus_read_bind_int64(st, i, lua_toboolean(ls, a)); break;
        case LUA_TNUMBER:
            rc = lua_isinteger(ls, a) ? argus_read_bind_int64(st, i, lua_tointeger(ls, a))
                                      : argus_read_bind_double(st, i, lua_tonumber(ls, a));
            break;
        case LUA_TSTRING: {
            size_t sl;
            const char *s = lua_tolstring(ls, a, &sl);
            rc = argus_read_bind_text(st, i, s, (int)sl);
            break;
        }
        case LUA_TLIGHTUSERDATA:
            if (lua_touserdata(ls, a) == NULL) {
                rc = argus_read_bind_null(st, i);
                break;
            }
            /* fall through */
        default:
            argus_read_done(st);
            L->open = NULL;
            return argus_lua_raise(ls, 500, "internal", "%s: parameter %d is a %s", names[mode], i,
                                   luaL_typename(ls, a));
        }
    }
    if (rc != ARGUS_READ_OK)
        return db_fail(ls, L, rc, names[mode]);
    int ncols = argus_read_column_count(st);
    int pushed = 0;
    size_t rows = 0;
    if (mode == Q_ROWS)
        lua_newtable(ls);
    while ((rc = argus_read_step(st)) == ARGUS_READ_ROW) {
        if (mode == Q_ROWS) {
            if (L->lim.max_rows && rows >= L->lim.max_rows) {
                argus_read_done(st);
                L->open = NULL;
                return argus_lua_raise(ls, 500, "internal",
                                       "db.rows: the query returned more than %zu rows; "
                                       "add a LIMIT",
                                       L->lim.max_rows);
            }
            push_row(ls, st, ncols);
            lua_rawseti(ls, -2, (lua_Integer)++rows);
            continue;
        }
        if (mode == Q_ROW)
            push_row(ls, st, ncols);
        else if (mode == Q_VALUE)
            push_column(ls, st, 0);
        else if (argus_read_column_type(st, 0) == ARGUS_READ_NULL)
            lua_pushliteral(ls, "null");
        else
            push_column(ls, st, 0);
        pushed = 1;
        break;
    }
    if (rc < 0)
        return db_fail(ls, L, rc, names[mode]);
    argus_read_done(st);
    L->open = NULL;
    if (mode == Q_ROWS)
        return 1;
    if (!pushed) {
        if (mode == Q_JSON)
            lua_pushliteral(ls, "null");
        else
            lua_pushnil(ls);
    }
    if (mode == Q_JSON && lua_type(ls, -1) == LUA_TNUMBER)
        lua_tostring(ls, -1); /* numbers are JSON too */
    return 1;
}

static int db_rows(lua_State *ls)
{
    return db_query(ls, Q_ROWS);
}
static int db_row(lua_State *ls)
{
    return db_query(ls, Q_ROW);
}
static int db_value(lua_State *ls)
{
    return db_query(ls, Q_VALUE);
}
static int db_json(lua_State *ls)
{
    return db_query(ls, Q_JSON);
}

/* ---- the state ----------------------------------------------------------------------------- */

static void open_lib(lua_State *ls, const char *name, lua_CFunction f)
{
    luaL_requiref(ls, name, f, 1);
    lua_pop(ls, 1);
}

int argus_lua_new(argus_lua **out, const argus_lua_limits *limits, argus_read *rd, char *msg,
                  size_t msglen)
{
    *out = NULL;
    argus_lua *L = argus_new_component(sizeof *L, "lua", msg, msglen);
    if (!L)
        return -1;
    L->lim = *limits;
    L->rd = rd;
    L->ls = lua_newstate(cap_alloc, L);
    if (!L->ls) {
        free(L);
        snprintf(msg, msglen, "lua: cannot create a state");
        return -1;
    }
    lua_State *ls = L->ls;
    memcpy(lua_getextraspace(ls), &L, sizeof L);
    open_lib(ls, LUA_GNAME, luaopen_base);
    open_lib(ls, LUA_STRLIBNAME, luaopen_string);
    open_lib(ls, LUA_TABLIBNAME, luaopen_table);
    open_lib(ls, LUA_MATHLIBNAME, luaopen_math);
    open_lib(ls, LUA_UTF8LIBNAME, luaopen_utf8);

    /* Remove what reaches files, bytecode or the collector's switches. */
    static const char *const removed[] = {"dofile", "loadfile", "require", "module", NULL};
    for (int i = 0; removed[i]; i++) {
        lua_pushnil(ls);
        lua_setglobal(ls, removed[i]);
    }
    static const luaL_Reg base[] = {{"pcall", sb_pcall},
                                    {"xpcall", sb_xpcall},
                                    {"load", sb_load},
                                    {"print", sb_print},
                                    {"collectgarbage", sb_collectgarbage},
                                    {NULL, NULL}};
    lua_pushglobaltable(ls);
    luaL_setfuncs(ls, base, 0);
    lua_pop(ls, 1);
    lua_getglobal(ls, LUA_STRLIBNAME);
    lua_pushnil(ls);
    lua_setfield(ls, -2, "dump");
    lua_pop(ls, 1);
    /* Strings' shared metatable: getmetatable("") gives false, so no handler can replace the
     * string methods every other handler on this worker uses. */
    lua_pushliteral(ls, "");
    lua_getmetatable(ls, -1);
    lua_pushboolean(ls, 0);
    lua_setfield(ls, -2, "__metatable");
    lua_pop(ls, 2);

    luaL_newmetatable(ls, ARRAY_MT_KEY);
    lua_pop(ls, 1);
    static const luaL_Reg json_fns[] = {
        {"encode", json_encode}, {"decode", json_decode}, {"array", json_array_mark}, {NULL, NULL}};
    luaL_newlib(ls, json_fns);
    lua_pushlightuserdata(ls, NULL);
    lua_setfield(ls, -2, "null");
    lua_setglobal(ls, "json");
    static const luaL_Reg db_fns[] = {
        {"rows", db_rows}, {"row", db_row}, {"value", db_value}, {"json", db_json}, {NULL, NULL}};
    luaL_newlib(ls, db_fns);
    if (rd) { /* db.dialect: "sqlite" or "mysql", for the SQL that differs (docs/lua.md) */
        lua_pushstring(ls, argus_read_backend(rd));
        lua_setfield(ls, -2, "dialect");
    }
    lua_setglobal(ls, "db");
    static const luaL_Reg api_fns[] = {
        {"error", api_error}, {"now_ns", api_now_ns}, {"log", api_log}, {NULL, NULL}};
    luaL_newlib(ls, api_fns);
    lua_setglobal(ls, "api");

    lua_sethook(ls, on_count, LUA_MASKCOUNT, HOOK_STEP);
    L->capped = 1;
    if (L->used > L->lim.memory) {
        snprintf(msg, msglen, "lua: the memory limit of %zu bytes is below the %zu a state needs",
                 L->lim.memory, L->used);
        argus_lua_free(L);
        return -1;
    }
    *out = L;
    return 0;
}

void argus_lua_extend(argus_lua *L, argus_lua_extend_fn fn, void *ctx)
{
    lua_getglobal(L->ls, "api");
    fn(L->ls, ctx);
    lua_pop(L->ls, 1);
}

void argus_lua_free(argus_lua *L)
{
    if (!L)
        return;
    if (L->open)
        argus_read_done(L->open);
    lua_close(L->ls);
    free(L);
}

lua_State *argus_lua_state(argus_lua *L)
{
    return L->ls;
}

size_t argus_lua_memory(const argus_lua *L)
{
    return L->used;
}

int argus_lua_exhausted(const argus_lua *L)
{
    return L->used > L->lim.memory / 10 * 9;
}

static void begin_call(argus_lua *L)
{
    L->spent = 0;
    L->over_steps = 0;
    L->hit_cap = 0;
    lua_pushnil(L->ls);
    lua_setfield(L->ls, LUA_REGISTRYINDEX, TRACE_KEY);
}

static void end_call(argus_lua *L, int failed)
{
    if (L->open) { /* a memory error or a limit interrupted a db call */
        argus_read_done(L->open);
        L->open = NULL;
    }
    if (failed) /* give back what the failed call held (a memory bomb's garbage) */
        lua_gc(L->ls, LUA_GCCOLLECT, 0);
}

int argus_lua_call(argus_lua *L, int nargs, int nresults, argus_lua_error *err)
{
    lua_State *ls = L->ls;
    begin_call(L);
    int base = lua_gettop(ls) - nargs;
    lua_pushcfunction(ls, on_error);
    lua_insert(ls, base);
    int st = lua_pcall(ls, nargs, nresults, base);
    lua_remove(ls, base);
    if (st != LUA_OK)
        to_error(L, st, err);
    end_call(L, st != LUA_OK);
    return st == LUA_OK ? 0 : -1;
}

int argus_lua_load(argus_lua *L, const char *name, const char *src, size_t len,
                   argus_lua_error *err)
{
    char chunk[256];
    snprintf(chunk, sizeof chunk, "@%s", name);
    begin_call(L);
    int st = luaL_loadbufferx(L->ls, src, len, chunk, "t");
    if (st != LUA_OK) {
        to_error(L, st, err);
        end_call(L, 1);
        return -1;
    }
    return argus_lua_call(L, 0, 1, err);
}
