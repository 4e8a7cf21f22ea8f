/* log_template(body) / log_pattern_id(body): masks the variable parts of a log line so lines
 * printed by the same statement share one template (see argus_log_template.h).
 *   SELECT log_pattern_id(body), log_template(body), count(*) FROM logs GROUP BY 1;
 * No regex library: one pass splits the body into whitespace, delimiters, quoted strings and
 * words; small recognisers classify each word (timestamps may span words: "Jan 15 10:23:45"). */
#include "argus_log_template.h"

#include <string.h>

typedef const unsigned char *bytes;

/* A quote whose closing quote is not found within this many bytes is kept as a literal. */
#define MAX_QUOTED 4096
/* A quoted string followed by ':' is a key (JSON, Python dict) and kept when at most this long. */
#define MAX_KEY 64

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}
static int is_alpha(int c)
{
    return (c | 32) >= 'a' && (c | 32) <= 'z';
}
static int is_upper(int c)
{
    return c >= 'A' && c <= 'Z';
}
static int is_alnum(int c)
{
    return is_digit(c) || is_alpha(c);
}
static int is_hexc(int c)
{
    return is_digit(c) || ((c | 32) >= 'a' && (c | 32) <= 'f');
}
static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
/* Word bytes: letters, digits, '_' and every non-ASCII byte, so UTF-8 is never split. */
static int is_wordc(int c)
{
    return is_alnum(c) || c == '_' || c >= 0x80;
}
/* Atom bytes (the finest split): as word bytes, without '_'. */
static int is_atomc(int c)
{
    return is_alnum(c) || c >= 0x80;
}
/* c is one of set (never true for NUL, unlike a bare strchr). */
static int in_set(int c, const char *set)
{
    return c && strchr(set, c) != NULL;
}

/* Characters that always end a word and are copied as they are. */
static const unsigned char delim_tab[256] = {
    [','] = 1, [';'] = 1, ['('] = 1, [')'] = 1, ['['] = 1, [']'] = 1, ['{'] = 1,
    ['}'] = 1, ['<'] = 1, ['>'] = 1, ['"'] = 1, ['|'] = 1, ['`'] = 1,
};
/* Separators that split a word into pieces before the finer split into atoms. */
static const unsigned char strong_tab[256] = {
    [':'] = 1, ['@'] = 1, ['#'] = 1, ['&'] = 1, ['\\'] = 1, ['!'] = 1,
    ['*'] = 1, ['~'] = 1, ['^'] = 1, ['$'] = 1, ['?'] = 1,  ['='] = 1,
};

static void emit(argus_buf *out, const char *mask)
{
    argus_buf_appends(out, mask);
}

/* Number of digits at s[i..n) when it is within [min, max] (and the run stops there), else 0. */
static size_t ndigits(bytes s, size_t n, size_t i, size_t min, size_t max)
{
    size_t j = i;
    while (j < n && is_digit(s[j]) && j - i <= max)
        j++;
    size_t d = j - i;
    return d >= min && d <= max ? d : 0;
}

static int digits_value(bytes s, size_t d)
{
    int v = 0;
    for (size_t k = 0; k < d; k++)
        v = v * 10 + (s[k] - '0');
    return v;
}

static int lower_eq(bytes s, const char *lit, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if ((s[k] | 32) != (unsigned char)lit[k])
            return 0;
    return 1;
}

/* A capitalised name from list (abbreviated to 3 letters or in full) at s[i]; its length or 0. */
static size_t name_at(bytes s, size_t n, size_t i, const char *const *list, size_t count)
{
    if (i + 3 > n || !is_upper(s[i]))
        return 0;
    size_t j = i;
    while (j < n && is_alpha(s[j]))
        j++;
    size_t len = j - i;
    for (size_t k = 0; k < count; k++) {
        size_t full = strlen(list[k]);
        if ((len == 3 || len == full || (len == 4 && full > 4)) && len <= full &&
            lower_eq(s + i, list[k], len))
            return len;
    }
    return 0;
}

static const char *const month_names[] = {"january",   "february", "march",    "april",
                                          "may",       "june",     "july",     "august",
                                          "september", "october",  "november", "december"};
static const char *const day_names[] = {"monday", "tuesday",  "wednesday", "thursday",
                                        "friday", "saturday", "sunday"};

static size_t month_at(bytes s, size_t n, size_t i)
{
    return name_at(s, n, i, month_names, 12);
}
static size_t day_at(bytes s, size_t n, size_t i)
{
    return name_at(s, n, i, day_names, 7);
}

/* A zone written right after a time: Z, +02, +0200, +02:00. */
static size_t attached_zone(bytes s, size_t n, size_t j)
{
    if (j < n && s[j] == 'Z' && (j + 1 >= n || !is_wordc(s[j + 1])))
        return 1;
    if (j < n && (s[j] == '+' || s[j] == '-')) {
        size_t d = ndigits(s, n, j + 1, 2, 4);
        if (d == 2 && j + 3 < n && s[j + 3] == ':' && ndigits(s, n, j + 4, 2, 2))
            return 6;
        if (d == 2 || d == 4)
            return 1 + d;
    }
    return 0;
}

/* A zone or meridiem after a space: " UTC", " GMT", " +0000", " AM". */
static size_t spaced_zone(bytes s, size_t n, size_t j)
{
    if (j + 3 > n || s[j] != ' ')
        return 0;
    bytes p = s + j + 1;
    size_t left = n - j - 1;
    size_t len = 0;
    if (left >= 3 && (memcmp(p, "UTC", 3) == 0 || memcmp(p, "GMT", 3) == 0))
        len = 3;
    else if (left >= 2 && (memcmp(p, "AM", 2) == 0 || memcmp(p, "PM", 2) == 0))
        len = 2;
    else if (left >= 5 && (p[0] == '+' || p[0] == '-') && ndigits(p, left, 1, 4, 4))
        len = 5;
    if (!len || (len < left && is_wordc(p[len])))
        return 0;
    return 1 + len;
}

/* HH:MM:SS with optional fraction (".123" or ",123") and attached zone. */
static size_t match_time(bytes s, size_t n, size_t i)
{
    size_t d = ndigits(s, n, i, 1, 2);
    if (!d || i + d >= n || s[i + d] != ':')
        return 0;
    size_t j = i + d + 1;
    if (ndigits(s, n, j, 2, 2) != 2 || j + 2 >= n || s[j + 2] != ':' ||
        ndigits(s, n, j + 3, 2, 2) != 2)
        return 0;
    j += 5;
    if (j + 1 < n && (s[j] == '.' || s[j] == ',') && is_digit(s[j + 1])) {
        j++;
        while (j < n && is_digit(s[j]))
            j++;
    }
    return j - i + attached_zone(s, n, j);
}

/* YYYY-MM-DD, YYYY/MM/DD or YYYY.MM.DD. */
static size_t match_ymd(bytes s, size_t n, size_t i)
{
    if (ndigits(s, n, i, 4, 4) != 4 || (s[i] != '1' && s[i] != '2'))
        return 0;
    size_t j = i + 4;
    if (j >= n || (s[j] != '-' && s[j] != '/' && s[j] != '.'))
        return 0;
    unsigned char sep = s[j++];
    size_t dm = ndigits(s, n, j, 1, 2);
    if (!dm || digits_value(s + j, dm) < 1 || digits_value(s + j, dm) > 12)
        return 0;
    j += dm;
    if (j >= n || s[j] != sep)
        return 0;
    j++;
    size_t dd = ndigits(s, n, j, 1, 2);
    if (!dd || digits_value(s + j, dd) < 1 || digits_value(s + j, dd) > 31)
        return 0;
    return j + dd - i;
}

/* DD/Mon/YYYY (common log format). */
static size_t match_clf_date(bytes s, size_t n, size_t i)
{
    size_t d = ndigits(s, n, i, 1, 2);
    if (!d || i + d >= n || s[i + d] != '/')
        return 0;
    size_t j = i + d + 1, m = month_at(s, n, j);
    if (m != 3 || j + 3 >= n || s[j + 3] != '/' || ndigits(s, n, j + 4, 4, 4) != 4)
        return 0;
    return j + 8 - i;
}

/* " YYYY" at j (a year after a date or time), its length or 0. */
static size_t spaced_year(bytes s, size_t n, size_t j)
{
    if (j + 5 <= n && s[j] == ' ' && ndigits(s, n, j + 1, 4, 4) == 4 &&
        (j + 5 == n || !is_wordc(s[j + 5])))
        return 5;
    return 0;
}

/* A timestamp starting at s[i]. multi allows forms with spaces ("Jan 15 10:23:45",
 * "2024-01-15 10:23:45,123 UTC"); *keep is how many leading bytes to copy before "<ts>" (the
 * level letter of a klog header "I0115 10:23:45.123"). Returns its length or 0. */
static size_t match_ts(bytes s, size_t n, size_t i, int multi, size_t *keep)
{
    size_t j = i, d, t, m;
    *keep = 0;
    if (i >= n || !(is_digit(s[i]) || is_upper(s[i])))
        return 0;
    if (multi && n - i > 7 && in_set(s[i], "IWEF") && ndigits(s, n, i + 1, 4, 4) == 4 &&
        s[i + 5] == ' ' && (t = match_time(s, n, i + 6))) {
        *keep = 1;
        j = i + 6 + t;
        goto done;
    }
    if (multi && (d = day_at(s, n, j))) {
        size_t k = j + d;
        if (k < n && s[k] == ',')
            k++;
        if (k >= n || s[k] != ' ')
            return 0;
        j = k + 1;
    }
    if ((d = match_ymd(s, n, j))) {
        j += d;
        if (j + 1 < n && (s[j] == 'T' || s[j] == '_' || (multi && s[j] == ' ')) &&
            (t = match_time(s, n, j + 1)))
            j += 1 + t;
    } else if ((d = match_clf_date(s, n, j))) {
        j += d;
        if (j + 1 < n && s[j] == ':' && (t = match_time(s, n, j + 1)))
            j += 1 + t;
    } else if (multi && (m = month_at(s, n, j))) {
        /* Jan 15[,] [2024] [10:23:45] [2024]: syslog, ctime, "January 15, 2024" */
        size_t k = j + m;
        int any = 0;
        if (k < n && s[k] == ' ')
            k++;
        if (k < n && s[k] == ' ')
            k++;
        size_t dd = ndigits(s, n, k, 1, 2);
        if (!dd || k == j + m)
            return 0;
        k += dd;
        if (k < n && s[k] == ',')
            k++;
        if ((d = spaced_year(s, n, k))) {
            k += d;
            any = 1;
        }
        if (k + 1 < n && s[k] == ' ' && (t = match_time(s, n, k + 1))) {
            k += 1 + t;
            k += spaced_year(s, n, k);
            any = 1;
        }
        if (!any)
            return 0;
        j = k;
    } else if (multi && (d = ndigits(s, n, j, 1, 2)) && j + d + 1 < n && s[j + d] == ' ' &&
               (m = month_at(s, n, j + d + 1))) {
        /* 15 Jan 2024 10:23:45 (RFC 1123, Redis) */
        size_t k = j + d + 1 + m;
        if (!(d = spaced_year(s, n, k)))
            return 0;
        k += d;
        if (k + 1 < n && s[k] == ' ' && (t = match_time(s, n, k + 1)))
            k += 1 + t;
        j = k;
    } else if ((t = match_time(s, n, j))) {
        j += t;
    } else {
        return 0;
    }
done:
    if (multi)
        j += spaced_zone(s, n, j);
    if (j < n && is_wordc(s[j]))
        return 0;
    return j - i;
}

static int whole_uuid(bytes s, size_t n)
{
    if (n != 36)
        return 0;
    for (size_t k = 0; k < 36; k++) {
        if (k == 8 || k == 13 || k == 18 || k == 23) {
            if (s[k] != '-')
                return 0;
        } else if (!is_hexc(s[k])) {
            return 0;
        }
    }
    return 1;
}

/* a.b.c.d with optional :port or /prefix. */
static int whole_ipv4(bytes s, size_t n)
{
    size_t i = 0;
    for (int k = 0; k < 4; k++) {
        size_t d = ndigits(s, n, i, 1, 3);
        if (!d || digits_value(s + i, d) > 255)
            return 0;
        i += d;
        if (k < 3) {
            if (i >= n || s[i] != '.')
                return 0;
            i++;
        }
    }
    if (i == n)
        return 1;
    if (s[i] == ':')
        return ndigits(s, n, i + 1, 1, 5) == n - i - 1;
    if (s[i] == '/')
        return ndigits(s, n, i + 1, 1, 2) == n - i - 1;
    return 0;
}

/* An IPv6 address: hex groups of at most 4 digits, with "::" or all 8 groups, optionally an
 * IPv4 tail, a %zone or a /prefix. */
static int whole_ipv6(bytes s, size_t n)
{
    size_t colons = 0, group = 0, hex = 0;
    int dbl = 0, dots = 0;
    size_t i = 0;
    for (; i < n; i++) {
        unsigned char c = s[i];
        if (c == ':') {
            if (i + 1 < n && s[i + 1] == ':') {
                if (dbl)
                    return 0;
                dbl = 1;
            }
            colons++;
            group = 0;
        } else if (is_hexc(c) && !dots) {
            if (++group > 4)
                return 0;
            hex++;
        } else if (c == '.' || (is_digit(c) && dots)) {
            dots += c == '.';
        } else if (c == '%' || c == '/') {
            break;
        } else {
            return 0;
        }
    }
    if (colons < 2 || colons > 7 || (!dbl && colons != 7 && !(dots == 3 && colons == 6)))
        return 0;
    if (dots && dots != 3)
        return 0;
    if (i < n && s[i] == '/')
        return ndigits(s, n, i + 1, 1, 3) == n - i - 1;
    if (i < n) /* %zone */
        for (i++; i < n; i++)
            if (!is_alnum(s[i]))
                return 0;
    return hex > 0 || n == 2;
}

static int whole_email(bytes s, size_t n)
{
    const unsigned char *at = memchr(s, '@', n);
    if (!at || at == s)
        return 0;
    for (bytes p = s; p < at; p++)
        if (!is_alnum(*p) && !in_set(*p, "._%+-"))
            return 0;
    size_t i = (size_t)(at - s) + 1, labels = 0, last = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && (is_alnum(s[i]) || s[i] == '-'))
            i++;
        if (i == start)
            return 0;
        labels++;
        last = start;
        if (i < n) {
            if (s[i] != '.')
                return 0;
            i++;
            if (i == n)
                return 0;
        }
    }
    if (labels < 2 || n - last < 2)
        return 0;
    for (size_t k = last; k < n; k++)
        if (!is_alpha(s[k]))
            return 0;
    return 1;
}

/* The longest unit from list that s[i..n) starts with; case-sensitive unless fold. */
static size_t unit_at(bytes s, size_t n, size_t i, const char *const *list, int fold)
{
    size_t best = 0;
    for (; *list; list++) {
        size_t len = strlen(*list);
        if (len <= best || i + len > n)
            continue;
        int eq = fold ? lower_eq(s + i, *list, len) : memcmp(s + i, *list, len) == 0;
        if (eq)
            best = len;
    }
    return best;
}

/* digits with an optional fraction at s[i]; returns the length (0 if no digit). */
static size_t decimal_at(bytes s, size_t n, size_t i)
{
    size_t j = i;
    while (j < n && is_digit(s[j]))
        j++;
    if (j == i)
        return 0;
    if (j + 1 < n && s[j] == '.' && is_digit(s[j + 1])) {
        j++;
        while (j < n && is_digit(s[j]))
            j++;
    }
    return j - i;
}

static const char *const duration_units[] = {"ns",  "us",   "\xc2\xb5s", "ms",  "s",
                                             "m",   "h",    "d",         "sec", "secs",
                                             "min", "mins", "hr",        "hrs", NULL};

/* 12ms, 1.5s, 3m20s, 1h0m0.5s */
static int whole_duration(bytes s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t d = decimal_at(s, n, i);
        if (!d)
            return 0;
        i += d;
        size_t u = unit_at(s, n, i, duration_units, 0);
        if (!u)
            return 0;
        i += u;
    }
    return n > 0;
}

static const char *const size_units_fold[] = {"b",   "kb",  "mb",  "gb",  "tb",  "pb",
                                              "kib", "mib", "gib", "tib", "pib", NULL};
static const char *const size_units_exact[] = {"K", "M", "G", "T", "Ki", "Mi", "Gi", "Ti", NULL};

/* 10KB, 1.5GiB, 512M */
static int whole_size(bytes s, size_t n)
{
    size_t d = decimal_at(s, n, 0);
    if (!d || d == n)
        return 0;
    size_t u = unit_at(s, n, d, size_units_fold, 1);
    size_t e = unit_at(s, n, d, size_units_exact, 0);
    return d + (u > e ? u : e) == n;
}

enum { NUM_NO, NUM_PLAIN, NUM_EPOCH };

/* [+-]digits[.digits][e[+-]digits][%] spanning s[0..n); epoch-looking values (unix seconds,
 * ms, us or ns between 2001 and 2033) are NUM_EPOCH. *pct is set when it ends in '%'. */
static int whole_number(bytes s, size_t n, int *pct)
{
    size_t i = 0;
    *pct = 0;
    if (n && s[n - 1] == '%') {
        *pct = 1;
        n--;
    }
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    size_t start = i;
    while (i < n && is_digit(s[i]))
        i++;
    size_t intd = i - start;
    if (!intd)
        return NUM_NO;
    int frac = 0, exp = 0;
    if (i + 1 < n && s[i] == '.' && is_digit(s[i + 1])) {
        frac = 1;
        i++;
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i + 1 < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t k = i + 1;
        if (k < n && (s[k] == '+' || s[k] == '-'))
            k++;
        if (k < n && is_digit(s[k])) {
            exp = 1;
            i = k;
            while (i < n && is_digit(s[i]))
                i++;
        }
    }
    if (i != n)
        return NUM_NO;
    if (start == 0 && !exp && !*pct && s[0] == '1' &&
        ((intd == 10) || (!frac && (intd == 13 || intd == 16 || intd == 19))))
        return NUM_EPOCH;
    return NUM_PLAIN;
}

/* 0x-prefixed hex, or bare hex of 6+ digits mixing digits and letters (16+ may be letters only):
 * hashes, trace ids, addresses. */
static int whole_hex(bytes s, size_t n)
{
    if (n > 2 && s[0] == '0' && (s[1] | 32) == 'x') {
        for (size_t k = 2; k < n; k++)
            if (!is_hexc(s[k]))
                return 0;
        return 1;
    }
    if (n < 6)
        return 0;
    size_t digits = 0;
    for (size_t k = 0; k < n; k++) {
        if (!is_hexc(s[k]))
            return 0;
        digits += is_digit(s[k]);
    }
    return (digits > 0 && digits < n) || (n >= 16 && digits < n);
}

/* Counts of digits and letters in s[0..n) when it only holds [A-Za-z0-9_-], else -1. */
static int id_chars(bytes s, size_t n, size_t *digits, size_t *letters)
{
    *digits = *letters = 0;
    for (size_t k = 0; k < n; k++) {
        if (is_digit(s[k]))
            (*digits)++;
        else if (is_alpha(s[k]))
            (*letters)++;
        else if (s[k] != '-' && s[k] != '_')
            return -1;
    }
    return 0;
}

/* The alphabet of Kubernetes' random name suffixes (no vowels, no 0/1/3). */
static int k8s_suffix(bytes s, size_t n)
{
    if (n != 5)
        return 0;
    for (size_t k = 0; k < n; k++)
        if (!in_set(s[k], "bcdfghjklmnpqrstvwxz2456789"))
            return 0;
    return 1;
}

/* Tries the classes that must cover a whole piece; emits its mask and returns 1 on success. */
static int whole_match(bytes s, size_t n, argus_buf *out)
{
    size_t keep;
    int pct;
    if (!n)
        return 0;
    if (whole_uuid(s, n)) {
        emit(out, "<uuid>");
        return 1;
    }
    if (match_ts(s, n, 0, 0, &keep) == n) {
        emit(out, "<ts>");
        return 1;
    }
    if (whole_ipv4(s, n) || whole_ipv6(s, n)) {
        emit(out, "<ip>");
        return 1;
    }
    if (whole_email(s, n)) {
        emit(out, "<email>");
        return 1;
    }
    if (whole_duration(s, n)) {
        emit(out, "<duration>");
        return 1;
    }
    if (whole_size(s, n)) {
        emit(out, "<size>");
        return 1;
    }
    int num = whole_number(s, n, &pct);
    if (num != NUM_NO) {
        emit(out, num == NUM_EPOCH ? "<ts>" : "<num>");
        if (pct)
            argus_buf_appendc(out, '%');
        return 1;
    }
    if (whole_hex(s, n)) {
        emit(out, "<hex>");
        return 1;
    }
    return 0;
}

/* The finest split: runs of letters/digits (atoms) and the single bytes between them. */
static void emit_atoms(bytes s, size_t n, argus_buf *out)
{
    size_t i = 0;
    int prev_masked = 0;
    while (i < n) {
        if (!is_atomc(s[i])) {
            argus_buf_appendc(out, (char)s[i]);
            if (s[i] != '-')
                prev_masked = 0;
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && is_atomc(s[j]))
            j++;
        bytes a = s + i;
        size_t len = j - i, digits, letters;
        const char *mask = NULL;
        id_chars(a, len, &digits, &letters);
        if (digits == len)
            mask = "<num>";
        else if (whole_hex(a, len))
            mask = "<hex>";
        else if (len >= 8 && digits >= 2 && letters >= 1 && digits + letters == len)
            mask = "<id>";
        else if (prev_masked && i > 0 && s[i - 1] == '-' && k8s_suffix(a, len))
            mask = "<id>";
        if (mask)
            emit(out, mask);
        else
            argus_buf_append(out, a, len);
        prev_masked = mask != NULL;
        i = j;
    }
}

/* A piece of a word that has no '/' nor '=' left to interpret: whole classes, then pieces
 * between strong separators, then atoms. */
static void emit_piece(bytes s, size_t n, argus_buf *out, int split_strong)
{
    if (!n || whole_match(s, n, out))
        return;
    if (!split_strong) {
        emit_atoms(s, n, out);
        return;
    }
    size_t i = 0, start = 0;
    for (; i <= n; i++) {
        if (i == n || strong_tab[s[i]]) {
            emit_piece(s + start, i - start, out, 0);
            if (i < n)
                argus_buf_appendc(out, (char)s[i]);
            start = i + 1;
        }
    }
}

/* A URL path segment that is an id: digits, UUID, hex, or a mix of letters and digits. */
static int path_id(bytes s, size_t n)
{
    size_t digits, letters;
    if (!n)
        return 0;
    if (whole_uuid(s, n) || whole_hex(s, n))
        return 1;
    if (id_chars(s, n, &digits, &letters) < 0)
        return 0;
    return digits == n || (n >= 6 && digits >= 2 && letters >= 1);
}

/* A path with optional ?query and #fragment: id segments become <id>, query values <val>. */
static void emit_path(bytes s, size_t n, argus_buf *out)
{
    size_t q = 0;
    while (q < n && s[q] != '?' && s[q] != '#')
        q++;
    size_t i = 0;
    while (i < q) {
        if (s[i] == '/') {
            argus_buf_appendc(out, '/');
            i++;
            continue;
        }
        size_t j = i;
        while (j < q && s[j] != '/')
            j++;
        if (path_id(s + i, j - i))
            emit(out, "<id>");
        else
            emit_piece(s + i, j - i, out, 1);
        i = j;
    }
    if (q < n && s[q] == '?') {
        argus_buf_appendc(out, '?');
        i = q + 1;
        while (i < n && s[i] != '#') {
            size_t j = i;
            while (j < n && s[j] != '=' && s[j] != '&' && s[j] != '#')
                j++;
            argus_buf_append(out, s + i, j - i);
            if (j < n && s[j] == '=') {
                argus_buf_appendc(out, '=');
                size_t k = ++j;
                while (j < n && s[j] != '&' && s[j] != '#')
                    j++;
                if (j > k)
                    emit(out, "<val>");
            }
            if (j < n && s[j] == '&') {
                argus_buf_appendc(out, '&');
                j++;
            }
            i = j;
        }
        q = i;
    }
    if (q < n)
        argus_buf_append(out, s + q, n - q);
}

static void emit_word(bytes s, size_t n, argus_buf *out);

/* scheme://authority/path?query */
static int emit_url(bytes s, size_t n, argus_buf *out)
{
    size_t k = 0;
    while (k < n && (is_alnum(s[k]) || s[k] == '+' || s[k] == '-' || s[k] == '.'))
        k++;
    if (k == 0 || k + 3 > n || memcmp(s + k, "://", 3) != 0 || !is_alpha(s[0]))
        return 0;
    argus_buf_append(out, s, k + 3);
    size_t a = k + 3, e = a;
    while (e < n && s[e] != '/' && s[e] != '?' && s[e] != '#')
        e++;
    emit_piece(s + a, e - a, out, 1);
    emit_path(s + e, n - e, out);
    return 1;
}

/* A word (no whitespace or delimiters inside), trailing sentence punctuation excluded. */
static void emit_word(bytes s, size_t n, argus_buf *out)
{
    if (!n || whole_match(s, n, out))
        return;
    size_t slash = 0, eq = 0;
    while (slash < n && s[slash] != '/')
        slash++;
    while (eq < n && s[eq] != '=')
        eq++;
    /* key=value, unless the '=' belongs to a URL query */
    if (eq < n && eq < slash) {
        emit_word(s, eq, out);
        argus_buf_appendc(out, '=');
        emit_word(s + eq + 1, n - eq - 1, out);
        return;
    }
    if (slash < n) {
        if (n > 5 && memcmp(s, "HTTP/", 5) == 0) {
            argus_buf_append(out, s, n);
            return;
        }
        if (!emit_url(s, n, out))
            emit_path(s, n, out);
        return;
    }
    emit_piece(s, n, out, 1);
}

/* Length of the quoted string opening at s[i], or 0 when it is not one (no closing quote on the
 * same line; an apostrophe inside a word). Backslash escapes are skipped. */
static size_t quoted_len(bytes s, size_t n, size_t i)
{
    unsigned char q = s[i];
    if (q == '\'' && i > 0 && is_alnum(s[i - 1]))
        return 0;
    size_t limit = n - i > MAX_QUOTED ? i + MAX_QUOTED : n;
    for (size_t j = i + 1; j < limit; j++) {
        if (s[j] == '\\') {
            j++;
        } else if (s[j] == '\n') {
            return 0;
        } else if (s[j] == q) {
            if (q == '\'' && j + 1 < n && is_alnum(s[j + 1]))
                continue; /* an apostrophe: "'it's'" */
            return j + 1 - i;
        }
    }
    return 0;
}

static int http_request_line(bytes s, size_t n)
{
    static const char *const methods[] = {"GET ",     "POST ", "PUT ",   "DELETE ", "PATCH ",
                                          "OPTIONS ", "HEAD ", "TRACE ", "CONNECT "};
    for (size_t k = 0; k < sizeof methods / sizeof methods[0]; k++) {
        size_t len = strlen(methods[k]);
        if (n > len && memcmp(s, methods[k], len) == 0)
            return 1;
    }
    return 0;
}

static void render(bytes s, size_t n, argus_buf *out);

static void emit_quoted(bytes s, size_t n, size_t len, size_t i, argus_buf *out)
{
    bytes in = s + i + 1;
    size_t inner = len - 2;
    /* keys of JSON objects and dict reprs are structure, not values */
    size_t k = i + len;
    while (k < n && (s[k] == ' ' || s[k] == '\t'))
        k++;
    if (k < n && s[k] == ':' && inner > 0 && inner <= MAX_KEY) {
        size_t c = 0;
        while (c < inner && (is_alnum(in[c]) || in_set(in[c], "_.-@$")))
            c++;
        if (c == inner) {
            argus_buf_append(out, s + i, len);
            return;
        }
    }
    if (s[i] == '"' && http_request_line(in, inner)) {
        argus_buf_appendc(out, '"');
        render(in, inner, out);
        argus_buf_appendc(out, '"');
        return;
    }
    emit(out, "\"<str>\"");
}

/* [IPv6]:port */
static size_t bracketed_ipv6(bytes s, size_t n, size_t i)
{
    size_t j = i + 1;
    while (j < n && j - i < 48 && s[j] != ']')
        j++;
    if (j >= n || s[j] != ']' || !whole_ipv6(s + i + 1, j - i - 1))
        return 0;
    j++;
    if (j < n && s[j] == ':') {
        size_t d = ndigits(s, n, j + 1, 1, 5);
        if (d)
            j += 1 + d;
    }
    return j - i;
}

static void render(bytes s, size_t n, argus_buf *out)
{
    size_t i = 0, start_len = out->len, keep, m;
    int space = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (is_space(c)) {
            space = out->len > start_len;
            i++;
            continue;
        }
        if (space) {
            argus_buf_appendc(out, ' ');
            space = 0;
        }
        if ((c == '"' || c == '\'') && (m = quoted_len(s, n, i))) {
            emit_quoted(s, n, m, i, out);
            i += m;
            continue;
        }
        if ((i == 0 || !is_wordc(s[i - 1])) && (m = match_ts(s, n, i, 1, &keep))) {
            argus_buf_append(out, s + i, keep);
            emit(out, "<ts>");
            i += m;
            continue;
        }
        if (c == '[' && (m = bracketed_ipv6(s, n, i))) {
            emit(out, "<ip>");
            i += m;
            continue;
        }
        if (delim_tab[c]) {
            argus_buf_appendc(out, (char)c);
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < n && !is_space(s[j]) && !delim_tab[s[j]] &&
               !(s[j] == '\'' && !is_alnum(s[j - 1])))
            j++;
        /* trailing sentence punctuation is not part of the value: "port 5432." */
        size_t end = j;
        while (end > i && in_set(s[end - 1], ".:!?"))
            end--;
        emit_word(s + i, end - i, out);
        argus_buf_append(out, s + end, j - end);
        i = j;
    }
}

int argus_log_template_render(const char *s, size_t n, argus_buf *out, argus_error *err)
{
    if (!s)
        n = 0;
    if (n)
        render((bytes)s, n, out);
    if (!argus_buf_cstr(out) || out->failed)
        return argus_error_set(err, ARGUS_ENOMEM, "log_template: out of memory");
    return 0;
}

uint64_t argus_log_template_hash(const char *tmpl, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)tmpl[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

int argus_log_template_id(const char *s, size_t n, argus_buf *scratch, char out[17],
                          argus_error *err)
{
    argus_buf_reset(scratch);
    int rc = argus_log_template_render(s, n, scratch, err);
    if (rc)
        return rc;
    uint64_t h = argus_log_template_hash(scratch->data, scratch->len);
    static const char hex[] = "0123456789abcdef";
    for (int k = 15; k >= 0; k--) {
        out[k] = hex[h & 15];
        h >>= 4;
    }
    out[16] = '\0';
    return 0;
}
