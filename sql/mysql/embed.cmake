# Turns the numbered migrations of sql/mysql (NNN_*.sql) into a C array in the build directory,
# for server/store_mysql.c: const argus_mysql_migration argus_mysql_migrations[].
#   cmake -DOUT=gen/migrations_mysql.c -DSRC=sql/mysql -P sql/mysql/embed.cmake
file(GLOB FILES ${SRC}/[0-9]*.sql)
list(SORT FILES)
set(body "/* generated from sql/mysql by sql/mysql/embed.cmake; do not edit */\n#include <stddef.h>\n\ntypedef struct argus_mysql_migration {\n    int version;\n    const char *name;\n    const char *sql;\n} argus_mysql_migration;\n\nconst argus_mysql_migration argus_mysql_migrations[] = {\n")
foreach(f ${FILES})
  get_filename_component(name ${f} NAME)
  string(REGEX MATCH "^[0-9]+" ver ${name})
  math(EXPR ver "${ver}")
  file(READ ${f} sql)
  string(REPLACE "\\" "\\\\" sql "${sql}")
  string(REPLACE "\"" "\\\"" sql "${sql}")
  string(REPLACE "\n" "\\n\"\n\"" sql "${sql}")
  string(APPEND body "  {${ver}, \"${name}\",\n\"${sql}\"},\n")
endforeach()
string(APPEND body "  {0, NULL, NULL}\n};\n")
file(WRITE ${OUT}.tmp "${body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
