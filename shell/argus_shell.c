/* argus-shell: the real sqlite3 shell with the Argus extension loaded and the schema applied.
 *   argus-shell data/argus.db "SELECT count(*) FROM spans"
 *   argus-shell :memory: "SELECT service_name, count(*) FROM otlp_spans(readfile('x.pb')) GROUP BY
 * 1" It finds argus.so next to itself (or $ARGUS_EXTENSION) and execs sqlite3 with -cmd options;
 * everything else is sqlite3's own behaviour. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ARGUS_SQLITE3_SHELL
#define ARGUS_SQLITE3_SHELL "sqlite3"
#endif

static void usage(void)
{
    fprintf(stderr,
            "usage: argus-shell [sqlite3 options] [DATABASE [SQL...]]\n"
            "  Runs sqlite3 with the Argus extension loaded and, when a database file is\n"
            "  given, the Argus schema applied. Default database: :memory:.\n"
            "  ARGUS_EXTENSION=/path/to/argus.so overrides where the extension is found.\n");
}

int main(int argc, char **argv)
{
    char ext[PATH_MAX];
    const char *env = getenv("ARGUS_EXTENSION");
    if (env && *env) {
        snprintf(ext, sizeof ext, "%s", env);
    } else {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) {
            fprintf(stderr, "argus-shell: cannot find own path: %s\n", strerror(errno));
            return 1;
        }
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash)
            *slash = '\0';
        if (strlen(self) + sizeof "/argus" > sizeof ext) {
            fprintf(stderr, "argus-shell: path too long: %s\n", self);
            return 1;
        }
        strcpy(ext, self);
        strcat(ext, "/argus");
    }
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage();
            return 0;
        }

    char load[PATH_MAX + 16];
    snprintf(load, sizeof load, ".load '%s'", ext);
    /* The .output dance keeps argus_migrate()'s version number off the user's screen. */
    const char *pre[] = {"-cmd", load,
                         "-cmd", ".output /dev/null",
                         "-cmd", "SELECT argus_migrate();",
                         "-cmd", ".output stdout"};
    size_t npre = sizeof pre / sizeof pre[0];
    char **args = calloc((size_t)argc + npre + 1, sizeof *args);
    if (!args)
        return 1;
    size_t k = 0;
    args[k++] = (char *)ARGUS_SQLITE3_SHELL;
    for (size_t i = 0; i < npre; i++)
        args[k++] = (char *)pre[i];
    for (int i = 1; i < argc; i++)
        args[k++] = argv[i];
    args[k] = NULL;
    execvp(args[0], args);
    fprintf(stderr, "argus-shell: cannot run %s: %s\n", args[0], strerror(errno));
    return 127;
}
